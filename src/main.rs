//! The `spamtrace` command line: parse the arguments, dispatch.

mod cli;

use clap::Parser;
use cli::args::{Cli, Command};
use std::process::ExitCode;

// glibc malloc took a quarter of `trace`'s CPU, most of it in lock
// contention between threads; mimalloc keeps per-thread heaps.
#[global_allocator]
static GLOBAL: Mimalloc = Mimalloc;

/// mimalloc through its plain entry points where the alignment allows.
/// `mimalloc::MiMalloc` calls `mi_malloc_aligned` and `mi_realloc_aligned`
/// for every allocation, and their alignment checks were 2% of the trace's
/// instructions. Every `mi_malloc` block is aligned to 8 bytes (a pointer's
/// size), but no more: its small size classes step by 8 bytes, so a
/// 24-byte block may sit at an address that is 8 mod 16.
struct Mimalloc;

/// Whether `mi_malloc`'s own alignment serves a layout of this alignment.
fn plain_alignment_suffices(align: usize) -> bool {
    align <= std::mem::size_of::<usize>()
}

// SAFETY: every pointer comes from mimalloc and goes back to it; the plain
// entry points are used only where their alignment meets the layout's.
unsafe impl std::alloc::GlobalAlloc for Mimalloc {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        if plain_alignment_suffices(layout.align()) {
            unsafe { libmimalloc_sys::mi_malloc(layout.size()).cast() }
        } else {
            unsafe { libmimalloc_sys::mi_malloc_aligned(layout.size(), layout.align()).cast() }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        if plain_alignment_suffices(layout.align()) {
            unsafe { libmimalloc_sys::mi_zalloc(layout.size()).cast() }
        } else {
            unsafe { libmimalloc_sys::mi_zalloc_aligned(layout.size(), layout.align()).cast() }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, _layout: std::alloc::Layout) {
        unsafe { libmimalloc_sys::mi_free(ptr.cast()) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        if plain_alignment_suffices(layout.align()) {
            unsafe { libmimalloc_sys::mi_realloc(ptr.cast(), new_size).cast() }
        } else {
            unsafe {
                libmimalloc_sys::mi_realloc_aligned(ptr.cast(), new_size, layout.align()).cast()
            }
        }
    }
}

/// mimalloc keeps freed pages for 10 ms before it gives them back; a
/// worker frees a batch's bodies and rendered text every few milliseconds,
/// so at that delay peak RSS grows with the pace of the run: 67 MB with
/// bodies on a 1 GiB mbox (scripts/bench-trace). 3 ms keeps it at 56-59 MB;
/// 1 ms gave 48-52 MB but three times the system time in madvise.
fn return_freed_memory_sooner() {
    // SAFETY: sets one of mimalloc's integer options; any value is valid.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS) }
}

/// `mi_option_purge_delay` of mimalloc.h (v2), which libmimalloc-sys does
/// not name.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
const PURGE_DELAY_MS: std::os::raw::c_long = 3;

fn main() -> ExitCode {
    return_freed_memory_sooner();
    match Cli::parse().command {
        Command::Trace(args) => cli::trace::run(args),
        Command::Complain(args) => cli::complain::run(args),
        Command::Capture(args) => cli::capture::run(args),
        Command::Queue(args) => cli::queue::run(args),
        Command::Completions { shell } => cli::docs::completions(shell),
        Command::Man { page, dir } => cli::docs::man(page, dir.as_deref()),
    }
}
