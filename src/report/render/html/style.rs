//! The page's one stylesheet (inline: the CSP allows nothing else). Light
//! and dark by `prefers-color-scheme`, print rules, and a narrow layout
//! below 640 px (the route switches to its narrow drawing there).

pub(super) const CSS: &str = r#"
:root{color-scheme:light dark;
--bg:#f4f6f8;--card:#ffffff;--ink:#1b1f24;--ink2:#424a53;--muted:#5f6873;--line:#d5dbe1;--soft:#f6f8fa;
--trusted:#1a7f37;--trusted-bg:#eaf6ed;--trusted-line:#9fd5ab;
--forged:#cf222e;--forged-bg:#ffebe9;--warn:#9a6700;--warn-bg:#fff5cc;--info:#0969da;--info-bg:#e3f2ff;
--origin:#8250df;--origin-bg:#f6efff;--relay:#bc4c00;--relay-bg:#fff1e5;--link:#0969da;
--mono:"DejaVu Sans Mono",Menlo,"Liberation Mono",Consolas,monospace;
--sans:system-ui,-apple-system,"Segoe UI","DejaVu Sans","Liberation Sans",sans-serif}
@media (prefers-color-scheme:dark){:root{
--bg:#0d1117;--card:#161b22;--ink:#e6edf3;--ink2:#c9d1d9;--muted:#8d96a0;--line:#30363d;--soft:#1c2129;
--trusted:#3fb950;--trusted-bg:#12261a;--trusted-line:#2a5a36;
--forged:#ff7b72;--forged-bg:#3a1618;--warn:#e3b341;--warn-bg:#33280c;--info:#79c0ff;--info-bg:#0f2744;
--origin:#d2a8ff;--origin-bg:#2a1a40;--relay:#ffa657;--relay-bg:#3a2211;--link:#79c0ff}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.5 var(--sans)}
a{color:var(--link)}
code,pre,.code{font-family:var(--mono);font-size:.92em}
.top{background:var(--card);border-bottom:1px solid var(--line)}
.brand{max-width:1040px;margin:0 auto;padding:10px 20px;font:700 16px var(--sans);letter-spacing:.02em}
.brand span{font-weight:400;color:var(--muted);margin-left:.5em}
main{max-width:1040px;margin:0 auto;padding:0 16px 32px}
.message,.index{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:24px 28px;margin:20px 0}
h1{font-size:1.45rem;line-height:1.3;margin:.1em 0 .5em;overflow-wrap:anywhere}
h2{font-size:1.12rem;margin:1.9em 0 .6em;padding-bottom:.3em;border-bottom:1px solid var(--line)}
h3{font-size:1rem;margin:1.2em 0 .4em}
.eyebrow{margin:0;color:var(--muted);font-size:.82rem;overflow-wrap:anywhere}
.back{margin:0 0 .6em;font-size:.9rem}
dl.meta{display:grid;grid-template-columns:repeat(auto-fit,minmax(400px,1fr));gap:4px 24px;margin:0}
dl.meta div{display:flex;gap:10px;min-width:0}
dl.meta dt{flex:0 0 8.5em;color:var(--muted);font-size:.85rem;padding-top:.1em}
dl.meta dd{margin:0;min-width:0;overflow-wrap:anywhere}
.verdict{margin:18px 0 14px;padding:14px 18px;border-radius:10px;border:1px solid var(--line);border-left:6px solid var(--muted);background:var(--soft)}
.verdict .kicker{margin:0 0 4px;font-size:.8rem;text-transform:uppercase;letter-spacing:.08em;color:var(--muted)}
.verdict-text{margin:0;font-size:1.04rem;font-weight:600;overflow-wrap:anywhere}
.sevword{display:inline-block;font:700 11px var(--mono);padding:1px 8px;border-radius:9px;border:1px solid currentColor;margin-right:.4em;letter-spacing:.04em}
.verdict.sev-forged{border-left-color:var(--forged);background:var(--forged-bg)}
.verdict.sev-forged .sevword{color:var(--forged)}
.verdict.sev-warn{border-left-color:var(--warn);background:var(--warn-bg)}
.verdict.sev-warn .sevword{color:var(--warn)}
.verdict.sev-info{border-left-color:var(--info);background:var(--info-bg)}
.verdict.sev-info .sevword{color:var(--info)}
.verdict.sev-none .sevword{color:var(--trusted)}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(210px,1fr));gap:10px}
.card{border:1px solid var(--line);border-top:4px solid var(--muted);border-radius:10px;padding:10px 14px;min-width:0}
.card p{margin:0}
.card-label{font-size:.75rem;text-transform:uppercase;letter-spacing:.07em;color:var(--muted)}
.card-value{font:700 1.02rem var(--mono);overflow-wrap:anywhere;margin:2px 0}
.card-value a{color:inherit;text-decoration:none}
.card-note{font-size:.84rem;color:var(--ink2);overflow-wrap:anywhere}
.card.relay{border-top-color:var(--relay)}.card.origin{border-top-color:var(--origin)}.card.trusted{border-top-color:var(--trusted)}
.card.sev-forged{border-top-color:var(--forged)}.card.sev-warn{border-top-color:var(--warn)}.card.sev-info{border-top-color:var(--info)}
figure{margin:0}
.route-wide svg{max-width:760px}
.route-narrow{display:none}
svg.route{display:block;width:100%;height:auto;margin:0 auto}
.route text{font-family:var(--mono)}
.route .box{fill:var(--card);stroke:var(--line);stroke-width:1.3}
.route .hop.trusted .box{stroke:var(--trusted-line)}
.route .hop.suspect .box{stroke:var(--forged);stroke-dasharray:6 3}
.route .hop.relay .box{stroke:var(--relay);stroke-width:2.2}
.route .hop.origin .box{stroke:var(--origin);stroke-width:2.6}
.route .hop.fold .box{stroke-dasharray:2 3;fill:var(--soft)}
.route .hopno{font:700 10px var(--mono);fill:var(--muted);letter-spacing:.06em}
.route .title{font:700 14.5px var(--mono);fill:var(--ink)}
.route .lbl{font:700 9.5px var(--mono);fill:var(--muted)}
.route .val{font:12.5px var(--mono);fill:var(--ink)}
.route .val.bad{fill:var(--forged)}.route .val.good{fill:var(--trusted)}.route .val.muted{fill:var(--muted)}
.route .tag rect{fill:var(--soft);stroke:var(--line)}
.route .tag text{font:700 10px var(--mono);fill:var(--ink2)}
.route .tag .icon{fill:none;stroke-width:1.6;stroke:currentColor}
.route .role-relay rect{fill:var(--relay-bg);stroke:var(--relay)}.route .role-relay text{fill:var(--relay)}
.route .role-origin rect{fill:var(--origin-bg);stroke:var(--origin)}.route .role-origin text{fill:var(--origin)}
.route .zone-trusted rect,.route .role-mailbox rect{fill:var(--trusted-bg);stroke:var(--trusted-line)}
.route .zone-trusted text,.route .role-mailbox text{fill:var(--trusted)}
.route .zone-suspect rect{fill:var(--forged-bg);stroke:var(--forged)}.route .zone-suspect text{fill:var(--forged)}
.route .sev-forged{color:var(--forged)}.route .sev-warn{color:var(--warn)}.route .sev-info{color:var(--info)}
.route .sev-forged rect{fill:var(--forged-bg);stroke:var(--forged)}.route .sev-forged text{fill:var(--forged)}
.route .sev-warn rect{fill:var(--warn-bg);stroke:var(--warn)}.route .sev-warn text{fill:var(--warn)}
.route .sev-info rect{fill:var(--info-bg);stroke:var(--info)}.route .sev-info text{fill:var(--info)}
.route .arrow line{stroke:var(--muted);stroke-width:2}
.route .arrow .head{fill:var(--muted)}
.route .arrow.trusted line{stroke:var(--trusted)}.route .arrow.trusted .head{fill:var(--trusted)}
.route .arrow.consistent line{stroke:var(--ink2)}.route .arrow.consistent .head{fill:var(--ink2)}
.route .arrow.unknown line{stroke-dasharray:4 4}
.route .arrow.broken line,.route .arrow.broken .zig{stroke:var(--forged);stroke-width:2.6;fill:none}
.route .arrow.broken .head{fill:var(--forged)}
.route .alabel{font:11.5px var(--mono);fill:var(--muted)}
.route .alabel.delay{font-weight:700;fill:var(--ink)}
.route .alabel.broken{font-weight:700;fill:var(--forged)}
.route .region{fill:var(--trusted-bg);stroke:var(--trusted-line)}
.route .region-label{font:700 10px var(--mono);fill:var(--trusted);letter-spacing:.04em}
.route .boundary{stroke:var(--relay);stroke-width:2;stroke-dasharray:9 5}
.route .boundary-label{font:700 10px var(--mono);fill:var(--relay);letter-spacing:.06em}
figcaption{margin-top:10px}
.legend{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:4px 18px;font-size:.82rem;color:var(--muted)}
.sw{display:inline-block;width:22px;height:10px;margin-right:6px;vertical-align:middle;border-radius:2px}
.sw-trusted{background:var(--trusted-bg);border:1px solid var(--trusted-line)}
.sw-boundary{border-top:2px dashed var(--relay);height:0}
.sw-broken{border-top:3px dashed var(--forged);height:0}
.sw-unknown{border-top:2px dotted var(--muted);height:0}
details{margin:10px 0;border:1px solid var(--line);border-radius:8px;padding:6px 12px}
details>summary{cursor:pointer;font-weight:600;padding:2px 0}
details[open]>summary{margin-bottom:8px}
.notes{margin-top:14px;font-size:.88rem;color:var(--ink2)}
.notes ul{margin:.2em 0 .6em;padding-left:1.2em}
.note-h{margin:.6em 0 .1em;font-weight:700;font-size:.86rem}
details.steps{border:0;padding:0;margin:.4em 0}
.empty,.muted{color:var(--muted)}
.badge{display:inline-block;font:700 11px/1.5 var(--mono);padding:0 8px;border-radius:9px;border:1px solid currentColor;letter-spacing:.03em;white-space:nowrap}
.badge.sev-forged{color:var(--forged);background:var(--forged-bg)}
.badge.sev-warn{color:var(--warn);background:var(--warn-bg)}
.badge.sev-info{color:var(--info);background:var(--info-bg)}
.badge.sev-none{color:var(--trusted);background:var(--trusted-bg)}
.sevgroup.sev-forged{color:var(--forged)}.sevgroup.sev-warn{color:var(--warn)}.sevgroup.sev-info{color:var(--info)}
.sevgroup .count{color:var(--muted);font-weight:400}
ul.findings{list-style:none;margin:0;padding:0}
.finding{border:1px solid var(--line);border-left:5px solid var(--muted);border-radius:8px;padding:10px 14px;margin:8px 0}
.finding.sev-forged{border-left-color:var(--forged)}.finding.sev-warn{border-left-color:var(--warn)}.finding.sev-info{border-left-color:var(--info)}
.finding p{margin:0}
.f-head .code{font-weight:700}
.hopref{font-size:.85rem;margin-left:.4em}
.f-msg{margin:.3em 0 !important;overflow-wrap:anywhere}
dl.evidence{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:1px 14px;margin:.4em 0 0;font-size:.82rem;background:var(--soft);border-radius:6px;padding:6px 10px}
dl.evidence div{display:contents}
dl.evidence dt{color:var(--muted);font-family:var(--mono)}
dl.evidence dd{margin:0;font-family:var(--mono);overflow-wrap:anywhere}
.tablewrap{overflow-x:auto;margin:8px 0}
table{border-collapse:collapse;width:100%;font-size:.86rem}
caption{text-align:left;color:var(--muted);font-size:.82rem;padding-bottom:4px}
th,td{text-align:left;vertical-align:top;padding:6px 10px;border-bottom:1px solid var(--line);overflow-wrap:anywhere}
th{font-size:.76rem;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);font-weight:700}
.res{font-family:var(--mono);font-weight:700}
.res.good{color:var(--trusted)}.res.bad{color:var(--forged)}.res.muted{color:var(--muted)}
ol.timeline{list-style:none;margin:0;padding:0;font-size:.86rem}
ol.timeline li{display:grid;grid-template-columns:4.2em 12.5em minmax(0,1.4fr) minmax(0,1fr) 7.5em;gap:10px;align-items:center;padding:5px 0;border-bottom:1px solid var(--line)}
.tl-hop{font-weight:700;font-family:var(--mono)}
.tl-time,.tl-delay{font-family:var(--mono)}
.tl-by{overflow-wrap:anywhere;color:var(--ink2)}
.tl-bar{height:8px;background:var(--soft);border-radius:4px;overflow:hidden}
.bar{display:block;height:100%;background:var(--info);border-radius:4px;min-width:2px}
.bar.bad{background:var(--forged)}
.tl-delay{text-align:right}.tl-delay.bad{color:var(--forged);font-weight:700}
pre{white-space:pre-wrap;overflow-wrap:anywhere;font-size:12px;line-height:1.45;margin:0;background:var(--soft);padding:10px;border-radius:6px}
.rawno{color:var(--muted)}
.sortbar{display:flex;flex-wrap:wrap;align-items:center;gap:6px}
.sortlabel{font-size:.82rem;color:var(--muted);margin-right:4px}
.sortbar input{position:absolute;opacity:0;width:1px;height:1px}
.sortbar label{font-size:.82rem;border:1px solid var(--line);border-radius:14px;padding:2px 10px;cursor:pointer}
.sortbar input:checked+label{background:var(--ink);color:var(--card);border-color:var(--ink)}
.sortbar input:focus-visible+label{outline:2px solid var(--link);outline-offset:2px}
.sortbar .tablewrap{flex:1 0 100%}
.idx tbody{display:flex;flex-direction:column}
.idx tr{display:grid;grid-template-columns:2.6em minmax(0,2.3fr) minmax(0,1.2fr) minmax(0,1.6fr) minmax(0,1.6fr) minmax(0,1.4fr)}
.idx td .from{display:block;color:var(--muted);font-size:.8rem}
#sort-worst:checked~.tablewrap .idx tbody tr{order:var(--worst)}
#sort-date:checked~.tablewrap .idx tbody tr{order:var(--date)}
#sort-relay:checked~.tablewrap .idx tbody tr{order:var(--relay)}
#sort-origin:checked~.tablewrap .idx tbody tr{order:var(--origin)}
#sort-subject:checked~.tablewrap .idx tbody tr{order:var(--subject)}
ul.errors{font-size:.86rem;color:var(--forged)}
.foot{max-width:1040px;margin:0 auto;padding:0 20px 30px;color:var(--muted);font-size:.8rem}
@media (max-width:640px){
dl.meta{grid-template-columns:1fr}
body{font-size:14.5px}
main{padding:0 8px 24px}
.message,.index{padding:16px 12px;border-radius:10px;margin:10px 0}
h1{font-size:1.2rem}
.route-wide{display:none}.route-narrow{display:block}
dl.meta dt{flex-basis:6.8em}
ol.timeline li{grid-template-columns:3.6em minmax(0,1fr) 6.5em;gap:2px 8px}
.tl-by{grid-column:2/4}.tl-bar{grid-column:1/3}
.idx thead{display:none}
.idx tr{grid-template-columns:1fr;border-bottom:1px solid var(--line);padding:6px 0}
.idx td{border:0;padding:1px 4px}
.idx td::before{content:attr(data-label) ": ";color:var(--muted);font-size:.75rem}
}
@media print{
:root{--bg:#fff;--card:#fff;--ink:#000;--ink2:#222;--muted:#555;--line:#bbb;--soft:#f3f3f3;
--trusted:#1a7f37;--trusted-bg:#eef7f0;--trusted-line:#9fd5ab;--forged:#b3131e;--forged-bg:#fdecec;--warn:#7d5400;--warn-bg:#fff6d6;
--info:#0550ae;--info-bg:#eaf4ff;--origin:#6639ba;--origin-bg:#f5efff;--relay:#953800;--relay-bg:#fff1e5;--link:#000}
body{background:#fff;font-size:11pt}
.top,.sortbar input,.sortbar label,.sortlabel,.back{display:none}
main{max-width:none;padding:0 3px}
.message,.index{border:0;padding:0;margin:0 0 12pt}
h2,h3{break-after:avoid}
.cards{grid-template-columns:repeat(2,minmax(0,1fr))}
.message+.message{break-before:page}
.route-wide{display:block !important}.route-narrow{display:none !important}
.card,.finding,.verdict,svg.route,li{break-inside:avoid}
a{color:inherit;text-decoration:none}
details{border:0;padding:0}
}
"#;
