/**
 * The HTML timeline of failing runs: one self-contained page (inline CSS and script, no network)
 * with, per failure, a lane per device, web client and the server, every message as an arrow from
 * its send to its delivery (a cross when dropped), writes as dots, crashes and the heal as marks,
 * and each violation marked in red on the lane where it happened. The data is computed from the
 * history here (a pure function); the page's script only draws it.
 */
import { CHECKER_NAMES, type CheckReport } from './checkers.js';
import type { History } from './history.js';

export interface TimelineData {
  title: string;
  reproduce: string;
  lanes: Array<{ id: string; kind: string }>;
  endT: number;
  healAt: number;
  /** [t, lane, label] */
  writes: Array<[number, string, string]>;
  /** [sendT, from, recvT (or -1 when dropped/lost), to, kind, note] */
  msgs: Array<[number, string, number, string, string, string]>;
  /** [t, lane, what] */
  marks: Array<[number, string, string]>;
  violations: Array<{ t: number; lane: string; checker: string; message: string; declared: boolean }>;
}

const MAX_MESSAGES = 3000;

export function timelineData(h: History, report: CheckReport, title: string, reproduce: string): TimelineData {
  const lost = new Map<string, string>();
  for (const ev of h.events) if (ev.e === 'lost') lost.set(`${ev.m}@${ev.t}`, ev.why);
  const msgs: TimelineData['msgs'] = [];
  const writes: TimelineData['writes'] = [];
  const marks: TimelineData['marks'] = [];
  for (const ev of h.events) {
    if (ev.e === 'send') {
      if (ev.drop !== undefined) msgs.push([ev.t, ev.from, -1, ev.to, ev.kind, `dropped: ${ev.drop}`]);
      for (const at of ev.arrive ?? []) {
        const why = lost.get(`${ev.m}@${at}`);
        // a copy still travelling when the run ended is drawn like a drop, with its own note
        const note = why !== undefined ? `lost: ${why}` : at > h.end.t ? 'in flight at the end' : '';
        msgs.push([ev.t, ev.from, note === '' ? at : -1, ev.to, ev.kind, note]);
      }
    } else if (ev.e === 'write') {
      const wr = h.writes[ev.w]!;
      writes.push([ev.t, wr.origin, `w${wr.id} ${wr.kind} ${wr.key} ${wr.kind === 'delete' ? '' : JSON.stringify(wr.fields)}`]);
    } else if (ev.e === 'crash' || ev.e === 'restart') {
      marks.push([ev.t, ev.at, ev.e]);
    }
  }
  const violations = CHECKER_NAMES.flatMap((name) =>
    report[name].violations.map((v) => ({ t: v.t, lane: v.at, checker: name, message: v.message, declared: v.declared !== undefined })),
  );
  return {
    title,
    reproduce,
    lanes: h.replicas.map((id) => ({ id, kind: h.replicaKinds[id] ?? 'device' })),
    endT: h.end.t,
    healAt: h.end.healAt,
    writes,
    msgs: msgs.slice(0, MAX_MESSAGES),
    marks,
    violations,
  };
}

const CSS = `
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}
h1{font-size:20px}h2{font-size:16px;margin-top:32px}
code,pre{font-family:ui-monospace,monospace;font-size:12px}
pre{background:#f5f5f5;padding:8px;overflow:auto;max-height:320px}
.timeline{overflow-x:auto;border:1px solid #ddd}
.lane-label{font-size:12px;font-weight:600}
.violation-list li{color:#b00020}
.violation-list li.declared{color:#8a6d00}
.legend span{margin-right:16px}
`;

// The page's own script: draws each failure's SVG from the embedded JSON. Kept small and
// dependency-free; no network access of any kind.
const SCRIPT = `
(function(){
  var NS='http://www.w3.org/2000/svg';
  var data=JSON.parse(document.getElementById('timeline-data').textContent);
  function el(name,attrs,text){var e=document.createElementNS(NS,name);Object.keys(attrs).forEach(function(k){e.setAttribute(k,attrs[k]);});if(text!=null)e.textContent=text;return e;}
  data.forEach(function(f,i){
    var host=document.getElementById('timeline-'+i);
    var laneH=56,left=110,width=Math.max(900,Math.min(6000,f.endT/10+200));
    var right=240;var x=function(t){return left+(t/Math.max(1,f.endT))*(width-left-right);};
    var y={};f.lanes.forEach(function(l,j){y[l.id]=30+j*laneH;});
    var svg=el('svg',{width:width,height:40+f.lanes.length*laneH,'class':'timeline-svg'});
    var defs=el('defs',{});var m=el('marker',{id:'arrow'+i,markerWidth:8,markerHeight:8,refX:7,refY:3,orient:'auto'});
    m.appendChild(el('path',{d:'M0,0 L0,6 L7,3 z',fill:'#555'}));defs.appendChild(m);svg.appendChild(defs);
    f.lanes.forEach(function(l){
      var g=el('g',{'class':'lane','data-lane':l.id,'data-kind':l.kind});
      g.appendChild(el('line',{x1:left,x2:width-right+10,y1:y[l.id],y2:y[l.id],stroke:'#999'}));
      g.appendChild(el('text',{x:8,y:y[l.id]+4,'class':'lane-label'},l.id+(l.kind==='web'?' (web)':'')));
      svg.appendChild(g);
    });
    for(var q=0;q<=4;q++){var tt=Math.round(f.endT*q/4);svg.appendChild(el('text',{x:x(tt)-10,y:22+f.lanes.length*laneH,'font-size':11,fill:'#777','class':'tick'},tt+' ms'));}
    var hx=x(f.healAt);svg.appendChild(el('line',{x1:hx,x2:hx,y1:10,y2:30+f.lanes.length*laneH,stroke:'#2e7d32','stroke-dasharray':'4 3','class':'heal'}));
    f.msgs.forEach(function(msg){
      var y1=y[msg[1]],y2=y[msg[3]];if(y1==null||y2==null)return;
      if(msg[2]<0){var ex=x(msg[0])+8,ey=y1+(y2-y1)*0.3;
        var g=el('g',{'class':'message dropped'});g.appendChild(el('line',{x1:x(msg[0]),y1:y1,x2:ex,y2:ey,stroke:'#c62828'}));
        g.appendChild(el('text',{x:ex-4,y:ey+4,fill:'#c62828','font-size':12},'\\u00d7'));g.appendChild(el('title',{},msg[4]+' '+msg[5]));svg.appendChild(g);return;}
      var a=el('line',{x1:x(msg[0]),y1:y1,x2:x(msg[2]),y2:y2,stroke:msg[4].indexOf('push')===0||msg[4]==='web'?'#1565c0':'#6a1b9a','stroke-width':1,'marker-end':'url(#arrow'+i+')','class':'message'});
      a.appendChild(el('title',{},msg[4]));svg.appendChild(a);
    });
    f.writes.forEach(function(w){if(y[w[1]]==null)return;var c=el('circle',{cx:x(w[0]),cy:y[w[1]],r:4,fill:'#000','class':'write'});c.appendChild(el('title',{},w[2]));svg.appendChild(c);});
    f.marks.forEach(function(mk){if(y[mk[1]]==null)return;var t=el('text',{x:x(mk[0])-5,y:y[mk[1]]-8,'class':'mark '+mk[2],fill:mk[2]==='crash'?'#c62828':'#2e7d32'},mk[2]==='crash'?'\\u2620 crash':'\\u21bb restart');svg.appendChild(t);});
    f.violations.forEach(function(v){var ly=y[v.lane];if(ly==null)ly=y.server;
      var g=el('g',{'class':'violation'+(v.declared?' declared':''),'data-checker':v.checker,'data-lane':v.lane});
      g.appendChild(el('circle',{cx:x(v.t),cy:ly,r:9,fill:'none',stroke:v.declared?'#8a6d00':'#b00020','stroke-width':3}));
      g.appendChild(el('text',{x:x(v.t)+12,y:ly-10,fill:v.declared?'#8a6d00':'#b00020','font-size':12},(v.declared?'declared ':'VIOLATION ')+v.checker));
      g.appendChild(el('title',{},v.message));svg.appendChild(g);});
    host.appendChild(svg);
    host.setAttribute('data-rendered','true');
  });
})();
`;

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** One self-contained page for every failure given (or a "no failures" page). */
export function renderTimelineHtml(failures: ReadonlyArray<TimelineData & { trace: string }>, heading: string): string {
  const sections = failures
    .map((f, i) => {
      const items = f.violations
        .map((v) => `<li class="${v.declared ? 'declared' : ''}">${v.declared ? 'declared' : 'violation'} <b>${escapeHtml(v.checker)}</b> on ${escapeHtml(v.lane)} at ${v.t} ms: ${escapeHtml(v.message)}</li>`)
        .join('\n');
      return `<section class="failure" id="failure-${i}">
<h2>${escapeHtml(f.title)}</h2>
<p>Reproduce: <code>${escapeHtml(f.reproduce)}</code></p>
<ul class="violation-list">${items}</ul>
<div class="timeline" id="timeline-${i}"><noscript>The timeline needs JavaScript; the trace below has the same events.</noscript></div>
<details><summary>Text trace</summary><pre>${escapeHtml(f.trace)}</pre></details>
</section>`;
    })
    .join('\n');
  // JSON inside <script>: escape "<" so no "</script>" or "<!--" can end it early
  const data = JSON.stringify(failures.map(({ trace: _trace, ...rest }) => rest)).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(heading)}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<style>${CSS}</style></head>
<body>
<h1>${escapeHtml(heading)}</h1>
<p class="legend"><span>● write</span><span style="color:#1565c0">→ push / web request</span><span style="color:#6a1b9a">→ response / pull</span><span style="color:#c62828">× dropped</span><span style="color:#2e7d32">┆ heal</span><span style="color:#b00020">◯ violation</span></p>
${failures.length === 0 ? '<p class="no-failures">No failing runs.</p>' : sections}
<script type="application/json" id="timeline-data">${data}</script>
<script>${SCRIPT}</script>
</body></html>
`;
}
