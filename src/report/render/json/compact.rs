//! A compact JSON serializer for serde, writing into a `Vec<u8>`: the
//! bytes of serde_json's compact output through
//! [`JsonEscaping`](crate::util::sanitize::JsonEscaping), for a fraction of
//! the instructions. A report is hundreds of short strings and keys;
//! serde_json pays a formatter call, an escape scan and an `io::Write` per
//! piece of each. Here a key or a string is one scan
//! ([`push_json_str`], the sanitiser's table) and one copy, and the
//! punctuation goes straight into the buffer.
//!
//! What it writes, as serde_json does: `null` for unit, `None` and unit
//! structs; `Some(v)` and newtype structs as `v`; a unit variant as its
//! name; the other variants as `{"name":...}`; sequences, tuples and bytes
//! as arrays; maps and structs as objects; numbers through serde_json
//! itself (itoa, ryu; a non-finite float is `null`). Map keys may be
//! strings, chars, unit variants, integers and bools (written quoted, as
//! serde_json does); anything else, or a serde_json private type (names
//! starting with `$`), is [`Error::Unsupported`]: the caller then uses
//! serde_json, so an unforeseen shape costs time, never different bytes.

use crate::util::sanitize::{json_plain, push_json_str};
use serde::ser::{self, Impossible, Serialize};
use std::fmt;

/// Why a value was not written.
#[derive(Debug)]
pub enum Error {
    /// A shape this serializer leaves to serde_json.
    Unsupported,
    /// The value's own `Serialize` failed.
    Custom(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Unsupported => f.write_str("a shape left to serde_json"),
            Error::Custom(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error::Custom(msg.to_string())
    }
}

type Result<T = ()> = std::result::Result<T, Error>;

/// Appends `value` as compact JSON to `out`. On an error `out` may hold
/// part of the value: the caller truncates it.
pub fn push<T: ?Sized + Serialize>(out: &mut Vec<u8>, value: &T) -> Result {
    value.serialize(&mut Ser { out })
}

struct Ser<'a> {
    out: &'a mut Vec<u8>,
}

impl Ser<'_> {
    #[inline]
    fn string(&mut self, s: &str) {
        self.out.push(b'"');
        push_json_str(self.out, s);
        self.out.push(b'"');
    }

    /// A field or a variant name: where it is a constant needing no escape
    /// (all of ours), this is one copy.
    #[inline(always)]
    fn name(&mut self, s: &'static str) {
        if json_plain(s) {
            self.out.extend_from_slice(s.as_bytes());
        } else {
            push_json_str(self.out, s);
        }
    }

    /// A number, as serde_json writes it.
    #[inline]
    fn number<T: Serialize>(&mut self, v: T) -> Result {
        serde_json::to_writer(&mut *self.out, &v).map_err(|_| Error::Unsupported)
    }

    /// `{"variant":` of a variant with data; `}` follows the value.
    #[inline]
    fn variant_open(&mut self, variant: &'static str) {
        self.out.extend_from_slice(b"{\"");
        self.name(variant);
        self.out.extend_from_slice(b"\":");
    }
}

impl<'a, 'b> ser::Serializer for &'b mut Ser<'a> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'a, 'b>;
    type SerializeTuple = Compound<'a, 'b>;
    type SerializeTupleStruct = Compound<'a, 'b>;
    type SerializeTupleVariant = Compound<'a, 'b>;
    type SerializeMap = Compound<'a, 'b>;
    type SerializeStruct = Compound<'a, 'b>;
    type SerializeStructVariant = Compound<'a, 'b>;

    #[inline]
    fn serialize_bool(self, v: bool) -> Result {
        self.out
            .extend_from_slice(if v { &b"true"[..] } else { &b"false"[..] });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result {
        self.number(v)
    }
    fn serialize_i16(self, v: i16) -> Result {
        self.number(v)
    }
    fn serialize_i32(self, v: i32) -> Result {
        self.number(v)
    }
    fn serialize_i64(self, v: i64) -> Result {
        self.number(v)
    }
    fn serialize_i128(self, v: i128) -> Result {
        self.number(v)
    }
    fn serialize_u8(self, v: u8) -> Result {
        self.number(v)
    }
    fn serialize_u16(self, v: u16) -> Result {
        self.number(v)
    }
    fn serialize_u32(self, v: u32) -> Result {
        self.number(v)
    }
    fn serialize_u64(self, v: u64) -> Result {
        self.number(v)
    }
    fn serialize_u128(self, v: u128) -> Result {
        self.number(v)
    }
    fn serialize_f32(self, v: f32) -> Result {
        self.number(v)
    }
    fn serialize_f64(self, v: f64) -> Result {
        self.number(v)
    }
    fn serialize_char(self, v: char) -> Result {
        self.string(v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    #[inline]
    fn serialize_str(self, v: &str) -> Result {
        self.string(v);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result {
        use ser::SerializeSeq;
        let mut seq = self.serialize_seq(Some(v.len()))?;
        for b in v {
            seq.serialize_element(b)?;
        }
        seq.end()
    }
    #[inline]
    fn serialize_none(self) -> Result {
        self.serialize_unit()
    }
    #[inline]
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result {
        value.serialize(self)
    }
    #[inline]
    fn serialize_unit(self) -> Result {
        self.out.extend_from_slice(b"null");
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result {
        self.serialize_unit()
    }
    #[inline]
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result {
        self.out.push(b'"');
        self.name(variant);
        self.out.push(b'"');
        Ok(())
    }
    #[inline]
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result {
        if name.starts_with('$') {
            return Err(Error::Unsupported);
        }
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result {
        self.variant_open(variant);
        value.serialize(&mut *self)?;
        self.out.push(b'}');
        Ok(())
    }
    #[inline]
    fn serialize_seq(self, _len: Option<usize>) -> Result<Compound<'a, 'b>> {
        self.out.push(b'[');
        Ok(Compound {
            ser: self,
            first: true,
            close: b"]",
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<Compound<'a, 'b>> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<Compound<'a, 'b>> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a, 'b>> {
        self.variant_open(variant);
        self.out.push(b'[');
        Ok(Compound {
            ser: self,
            first: true,
            close: b"]}",
        })
    }
    #[inline]
    fn serialize_map(self, _len: Option<usize>) -> Result<Compound<'a, 'b>> {
        self.out.push(b'{');
        Ok(Compound {
            ser: self,
            first: true,
            close: b"}",
        })
    }
    #[inline]
    fn serialize_struct(self, name: &'static str, _len: usize) -> Result<Compound<'a, 'b>> {
        if name.starts_with('$') {
            return Err(Error::Unsupported);
        }
        self.serialize_map(None)
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a, 'b>> {
        self.variant_open(variant);
        self.out.push(b'{');
        Ok(Compound {
            ser: self,
            first: true,
            close: b"}}",
        })
    }

    fn collect_str<T: ?Sized + fmt::Display>(self, value: &T) -> Result {
        // Escaping is per character, so piece by piece is the same bytes
        // as the whole string.
        struct Escaped<'v>(&'v mut Vec<u8>);
        impl fmt::Write for Escaped<'_> {
            fn write_str(&mut self, s: &str) -> fmt::Result {
                push_json_str(self.0, s);
                Ok(())
            }
        }
        self.out.push(b'"');
        fmt::write(&mut Escaped(self.out), format_args!("{value}"))
            .map_err(|_| Error::Custom("a Display implementation failed".into()))?;
        self.out.push(b'"');
        Ok(())
    }
}

/// An array, an object or a variant's value being written.
#[doc(hidden)]
pub struct Compound<'a, 'b> {
    ser: &'b mut Ser<'a>,
    first: bool,
    /// What ends it: `]`, `}`, or that and the `}` of a variant.
    close: &'static [u8],
}

impl Compound<'_, '_> {
    #[inline]
    fn comma(&mut self) {
        if !self.first {
            self.ser.out.push(b',');
        }
        self.first = false;
    }

    #[inline]
    fn element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result {
        self.comma();
        value.serialize(&mut *self.ser)
    }

    #[inline(always)]
    fn field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result {
        self.ser
            .out
            .extend_from_slice(if self.first { b"\"" } else { b",\"" });
        self.first = false;
        self.ser.name(key);
        self.ser.out.extend_from_slice(b"\":");
        value.serialize(&mut *self.ser)
    }

    #[inline]
    fn close(self) -> Result {
        self.ser.out.extend_from_slice(self.close);
        Ok(())
    }
}

impl ser::SerializeSeq for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    #[inline]
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result {
        self.element(value)
    }
    #[inline]
    fn end(self) -> Result {
        self.close()
    }
}

/// Tuples, tuple structs and tuple variants are written as arrays, like a
/// sequence.
macro_rules! as_array {
    ($($trait:ident :: $method:ident),*) => {$(
        impl ser::$trait for Compound<'_, '_> {
            type Ok = ();
            type Error = Error;
            fn $method<T: ?Sized + Serialize>(&mut self, value: &T) -> Result {
                self.element(value)
            }
            fn end(self) -> Result {
                self.close()
            }
        }
    )*};
}

as_array!(
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

impl ser::SerializeMap for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    #[inline]
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result {
        self.comma();
        key.serialize(MapKey {
            ser: &mut *self.ser,
        })
    }
    #[inline]
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result {
        self.ser.out.push(b':');
        value.serialize(&mut *self.ser)
    }
    #[inline]
    fn end(self) -> Result {
        self.close()
    }
}

impl ser::SerializeStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    #[inline(always)]
    fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result {
        self.field(key, value)
    }
    #[inline]
    fn end(self) -> Result {
        self.close()
    }
}

impl ser::SerializeStructVariant for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result {
        self.field(key, value)
    }
    fn end(self) -> Result {
        self.close()
    }
}

/// A map key: a string, or what serde_json writes as one.
struct MapKey<'a, 'b> {
    ser: &'b mut Ser<'a>,
}

impl MapKey<'_, '_> {
    /// An integer or a bool key, quoted as serde_json quotes it.
    fn quoted<T: Serialize>(self, v: T) -> Result {
        self.ser.out.push(b'"');
        self.ser.number(v)?;
        self.ser.out.push(b'"');
        Ok(())
    }
}

impl ser::Serializer for MapKey<'_, '_> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Impossible<(), Error>;
    type SerializeTuple = Impossible<(), Error>;
    type SerializeTupleStruct = Impossible<(), Error>;
    type SerializeTupleVariant = Impossible<(), Error>;
    type SerializeMap = Impossible<(), Error>;
    type SerializeStruct = Impossible<(), Error>;
    type SerializeStructVariant = Impossible<(), Error>;

    #[inline]
    fn serialize_str(self, v: &str) -> Result {
        self.ser.string(v);
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result {
        self.ser.string(v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result {
        self.ser.string(variant);
        Ok(())
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result {
        if name.starts_with('$') {
            return Err(Error::Unsupported);
        }
        value.serialize(self)
    }
    fn serialize_bool(self, v: bool) -> Result {
        self.quoted(v)
    }
    fn serialize_i8(self, v: i8) -> Result {
        self.quoted(v)
    }
    fn serialize_i16(self, v: i16) -> Result {
        self.quoted(v)
    }
    fn serialize_i32(self, v: i32) -> Result {
        self.quoted(v)
    }
    fn serialize_i64(self, v: i64) -> Result {
        self.quoted(v)
    }
    fn serialize_i128(self, v: i128) -> Result {
        self.quoted(v)
    }
    fn serialize_u8(self, v: u8) -> Result {
        self.quoted(v)
    }
    fn serialize_u16(self, v: u16) -> Result {
        self.quoted(v)
    }
    fn serialize_u32(self, v: u32) -> Result {
        self.quoted(v)
    }
    fn serialize_u64(self, v: u64) -> Result {
        self.quoted(v)
    }
    fn serialize_u128(self, v: u128) -> Result {
        self.quoted(v)
    }
    fn serialize_f32(self, _v: f32) -> Result {
        Err(Error::Unsupported)
    }
    fn serialize_f64(self, _v: f64) -> Result {
        Err(Error::Unsupported)
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result {
        Err(Error::Unsupported)
    }
    fn serialize_none(self) -> Result {
        Err(Error::Unsupported)
    }
    fn serialize_some<T: ?Sized + Serialize>(self, _value: &T) -> Result {
        Err(Error::Unsupported)
    }
    fn serialize_unit(self) -> Result {
        Err(Error::Unsupported)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result {
        Err(Error::Unsupported)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result {
        Err(Error::Unsupported)
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq> {
        Err(Error::Unsupported)
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple> {
        Err(Error::Unsupported)
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct> {
        Err(Error::Unsupported)
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant> {
        Err(Error::Unsupported)
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap> {
        Err(Error::Unsupported)
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Self::SerializeStruct> {
        Err(Error::Unsupported)
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant> {
        Err(Error::Unsupported)
    }
    fn collect_str<T: ?Sized + fmt::Display>(self, value: &T) -> Result {
        ser::Serializer::collect_str(&mut *self.ser, value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::render::json::{compact_serde_json, push_compact};
    use serde::Serialize;
    use std::collections::BTreeMap;

    /// Our bytes, written directly (no fallback), equal serde_json's.
    fn same<T: Serialize>(v: &T) {
        let mut ours = Vec::new();
        push(&mut ours, v).unwrap();
        let mut theirs = Vec::new();
        compact_serde_json(&mut theirs, v).unwrap();
        assert_eq!(
            String::from_utf8(ours).unwrap(),
            String::from_utf8(theirs).unwrap()
        );
    }

    #[test]
    fn strings_and_chars() {
        let mut all_ascii = String::new();
        for b in 0u8..0x80 {
            all_ascii.push(b as char);
        }
        same(&all_ascii);
        for s in [
            "",
            "plain",
            "\"\\/",
            "a\u{9b}31m\u{7f}\u{202e}\u{feff}é",
            "\u{80}\u{9f}\u{a0}\u{ff}\u{61b}\u{61c}\u{61d}",
            "\u{200a}\u{200b}\u{200c}\u{200d}\u{200e}\u{200f}\u{2010}",
            "\u{2027}\u{2028}\u{2029}\u{202a}\u{202e}\u{202f}\u{205f}\u{2060}\u{2061}",
            "\u{2065}\u{2066}\u{2069}\u{206a}\u{fefe}\u{feff}\u{ff00}\u{fffd}\u{ffff}",
            "astral 😀 \u{10000} \u{10ffff} 👩\u{200d}💻",
            "françois 日本 Ωμέγα – “quotes” … ‘x’",
        ] {
            same(&s);
            same(&s.repeat(3));
        }
        // An escape at every offset of the 8-byte scan, and runs around it.
        for esc in [
            "\"", "\\", "\n", "\u{1}", "\u{7f}", "\u{85}", "\u{202e}", "é", "😀",
        ] {
            for at in 0..20 {
                let s = format!("{}{esc}{}", "x".repeat(at), "y".repeat(19 - at));
                same(&s);
            }
        }
        for c in [
            'x', '"', '\\', '\u{0}', '\u{1b}', '\u{9b}', '\u{2066}', 'é', '😀',
        ] {
            same(&c);
        }
    }

    #[test]
    fn numbers() {
        same(&(
            0u8,
            u8::MAX,
            i8::MIN,
            u16::MAX,
            i16::MIN,
            u32::MAX,
            i32::MIN,
        ));
        same(&(0u64, u64::MAX, i64::MIN, i64::MAX, -1i64));
        same(&(u128::MAX, i128::MIN, 0u128));
        same(&[
            0.0f64,
            -0.0,
            1.0,
            0.1,
            -2.5,
            1e21,
            1e-7,
            123456789.125,
            f64::MAX,
            f64::MIN_POSITIVE,
            5e-324,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ]);
        same(&[0.1f32, 1e30, f32::NAN, f32::INFINITY, -0.0]);
    }

    #[derive(Serialize, PartialEq, Eq, PartialOrd, Ord)]
    #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
    enum Kind {
        OneThing,
        Other,
    }

    #[derive(Serialize)]
    #[serde(rename_all = "snake_case")]
    enum Shape {
        Unit,
        Newtype(u32),
        Tuple(u8, String),
        EmptyTuple(),
        Struct {
            a: Option<u8>,
            #[serde(skip_serializing_if = "Vec::is_empty")]
            b: Vec<u8>,
        },
        EmptyStruct {},
        #[serde(rename = "re\"named")]
        Renamed(Option<()>),
    }

    #[derive(Serialize)]
    struct Unit;

    #[derive(Serialize)]
    struct Pair(u8, &'static str);

    #[derive(Serialize, PartialEq, Eq, PartialOrd, Ord)]
    struct Name(String);

    #[derive(Serialize)]
    struct Inner {
        #[serde(rename = "type")]
        kind: Kind,
        #[serde(skip_serializing_if = "Option::is_none")]
        maybe: Option<u8>,
    }

    #[derive(Serialize)]
    struct Everything {
        nested: Option<Option<u32>>,
        none_inside: Option<Option<u32>>,
        none: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        skipped: Option<String>,
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        flag: bool,
        yes: bool,
        shapes: Vec<Shape>,
        empty_vec: Vec<u8>,
        empty_map: BTreeMap<String, u8>,
        unit: (),
        unit_struct: Unit,
        pair: Pair,
        units: Vec<()>,
        by_int: BTreeMap<i64, &'static str>,
        by_bool: BTreeMap<bool, u8>,
        by_char: BTreeMap<char, u8>,
        by_kind: BTreeMap<Kind, u8>,
        by_name: BTreeMap<Name, Name>,
        #[serde(flatten)]
        inner: Inner,
        #[serde(flatten)]
        extra: BTreeMap<String, serde_json::Value>,
        ip4: std::net::IpAddr,
        ip6: std::net::IpAddr,
        value: serde_json::Value,
        empty: Inner2,
    }

    #[derive(Serialize)]
    struct Inner2 {
        #[serde(skip_serializing_if = "Option::is_none")]
        only: Option<u8>,
    }

    #[test]
    fn every_shape_serde_json_writes() {
        let e = Everything {
            nested: Some(Some(7)),
            none_inside: Some(None),
            none: None,
            skipped: None,
            flag: false,
            yes: true,
            shapes: vec![
                Shape::Unit,
                Shape::Newtype(3),
                Shape::Tuple(1, "t\u{1b}".into()),
                Shape::EmptyTuple(),
                Shape::Struct { a: None, b: vec![] },
                Shape::Struct {
                    a: Some(1),
                    b: vec![2, 3],
                },
                Shape::EmptyStruct {},
                Shape::Renamed(Some(())),
            ],
            empty_vec: vec![],
            empty_map: BTreeMap::new(),
            unit: (),
            unit_struct: Unit,
            pair: Pair(9, "p\u{2028}"),
            units: vec![(), ()],
            by_int: [(-5, "m"), (0, "z"), (i64::MAX, "x")].into(),
            by_bool: [(true, 1), (false, 0)].into(),
            by_char: [('"', 1), ('\u{9b}', 2), ('a', 3)].into(),
            by_kind: [(Kind::OneThing, 1), (Kind::Other, 2)].into(),
            by_name: [(Name("k\u{feff}".into()), Name("v\"".into()))].into(),
            inner: Inner {
                kind: Kind::OneThing,
                maybe: None,
            },
            extra: [(
                "flat\u{7f}".to_string(),
                serde_json::json!([1, "two", null]),
            )]
            .into(),
            ip4: "192.0.2.1".parse().unwrap(),
            ip6: "2001:db8::1".parse().unwrap(),
            value: serde_json::json!({
                "z": 1, "a": [1.5, null, true, false, {"": {}}, []], "s": "\u{7f}\u{85}",
                "n": -12, "big": u64::MAX, "f": 1e300, "esc\"key\u{202e}": "x"
            }),
            empty: Inner2 { only: None },
        };
        same(&e);
        same(&vec![e]);
        same(&serde_json::json!({}));
        same(&serde_json::json!([]));
        same(&Vec::<Vec<u8>>::new());
    }

    /// Values that call `serialize_bytes`, `collect_str`, or fail.
    struct Manual(u8);

    impl Serialize for Manual {
        fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
            use serde::ser::{Error as _, SerializeMap};
            match self.0 {
                0 => s.serialize_bytes(&[0, 1, 127, 255]),
                1 => s.serialize_bytes(&[]),
                2 => s.collect_str(&format_args!("a{}b{}\"", '\u{1b}', "\u{202e}é")),
                3 => {
                    let mut m = s.serialize_map(Some(2))?;
                    m.serialize_entry(&1.5f64, "float key")?;
                    m.serialize_entry(&Manual(2), &Manual(0))?;
                    m.end()
                }
                _ => Err(S::Error::custom("refused")),
            }
        }
    }

    #[test]
    fn bytes_display_and_what_is_left_to_serde_json() {
        same(&Manual(0));
        same(&Manual(1));
        same(&Manual(2));
        // A float key: serde_json writes it; we leave it to serde_json.
        let mut direct = Vec::new();
        assert!(matches!(
            push(&mut direct, &Manual(3)),
            Err(Error::Unsupported)
        ));
        let (mut ours, mut theirs) = (b"x".to_vec(), b"x".to_vec());
        push_compact(&mut ours, &Manual(3)).unwrap();
        compact_serde_json(&mut theirs, &Manual(3)).unwrap();
        assert_eq!(ours, theirs);
        // A failing value fails, and leaves the buffer as it was.
        let mut out = b"kept".to_vec();
        assert!(push_compact(&mut out, &vec![Manual(0), Manual(9)]).is_err());
        assert_eq!(out, b"kept");
        assert!(compact_serde_json(&mut Vec::new(), &Manual(9)).is_err());
    }
}
