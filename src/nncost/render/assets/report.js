// the HTML report's script: the module tree, the sortable table and the charts, from the embedded JSON
(function(){
const D=JSON.parse(document.getElementById('nncost-data').textContent);
const errs=[];window.addEventListener('error',e=>{errs.push(String(e.message));document.body.dataset.errors=errs.join('|')});
const L=D.layers, total=L[0]||{macs:0,params:0};
const si=n=>{if(n==null)return'';const a=Math.abs(n);for(const[b,s]of[[1e15,'P'],[1e12,'T'],[1e9,'G'],[1e6,'M'],[1e3,'K']])if(a>=b)return(n/b).toFixed(2)+s;return String(n)};
const pct=(p,w)=>w?(100*p/w):0;
const NS='http://www.w3.org/2000/svg';
function el(tag,attrs,parent,text){const e=document.createElementNS(NS,tag);for(const k in attrs)e.setAttribute(k,attrs[k]);if(text!=null)e.textContent=text;if(parent)parent.appendChild(e);return e}
function svg(id,w,h){const box=document.getElementById(id);const s=el('svg',{viewBox:`0 0 ${w} ${h}`,role:'img'});box.appendChild(s);return s}
const kids={};L.forEach((n,i)=>{n.i=i;const p=parentOf(i);n.parent=p;(kids[p]=kids[p]||[]).push(i)});
function parentOf(i){for(let j=i-1;j>=0;j--)if(L[j].depth<L[i].depth)return j;return -1}
// the module tree: collapsible, with a bar for each module's share of the MACs
const tb=document.querySelector('#tree tbody');
L.forEach((n,i)=>{const tr=document.createElement('tr');tr.dataset.i=i;tr.dataset.depth=n.depth;
 const has=(kids[i]||[]).length>0;const name=n.depth===0?n.type:n.path.split('.').pop()+' ('+n.type+')';
 tr.innerHTML=`<td class="l" style="padding-left:${8+16*n.depth}px">${has?'<button class="tog" aria-expanded="true">▾</button>':'<span style="display:inline-block;width:18px"></span>'}${esc(name)}</td>`+
 `<td>${si(n.params)}</td><td>${si(n.macs)}</td><td>${si(n.flops)}</td><td class="l"><span class="bar" style="width:${(1.6*pct(n.macs,total.macs)).toFixed(1)}px"></span> ${pct(n.macs,total.macs).toFixed(1)}%</td>`;
 if(n.depth>1)tr.hidden=true;const tg=tr.querySelector('.tog');if(tg&&n.depth>0){tg.textContent='▸';tg.setAttribute('aria-expanded','false')}
 tb.appendChild(tr)});
function setOpen(i,open){const rows=tb.rows;for(const k of kids[i]||[]){rows[k].hidden=!open;if(!open)setOpen(k,false);else{const t=rows[k].querySelector('.tog');if(t&&t.getAttribute('aria-expanded')==='true')setOpen(k,true)}}}
tb.addEventListener('click',e=>{const b=e.target.closest('.tog');if(!b)return;const i=+b.closest('tr').dataset.i;const open=b.getAttribute('aria-expanded')!=='true';b.setAttribute('aria-expanded',open);b.textContent=open?'▾':'▸';setOpen(i,open)});
function esc(s){return String(s).replace(/[&<>"]/g,c=>({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]))}
// the layer table: sortable by any column, filtered by the search box
const cols=D.columns, lt=document.querySelector('#layers'), lb=lt.querySelector('tbody');
lt.querySelector('thead').innerHTML='<tr>'+cols.map((c,k)=>`<th class="${k<2?'l':''}" data-k="${c}">${c}</th>`).join('')+'</tr>';
let order=L.map((_,i)=>i),key=null,dir=1;
function drawTable(){const q=(document.getElementById('filter').value||'').toLowerCase();
 lb.innerHTML=order.filter(i=>!q||(L[i].path+' '+L[i].type).toLowerCase().includes(q)).map(i=>'<tr>'+cols.map((c,k)=>{const v=L[i][c];return `<td class="${k<2?'l':''}">${v==null?'':typeof v==='number'&&k>=2?(Number.isInteger(v)?v.toLocaleString('en-US'):v.toPrecision(4)):esc(v)}</td>`}).join('')+'</tr>').join('')}
lt.querySelector('thead').addEventListener('click',e=>{const th=e.target.closest('th');if(!th)return;const k=th.dataset.k;dir=key===k?-dir:-1;key=k;
 order.sort((a,b)=>{const x=L[a][k],y=L[b][k];return(typeof x==='number'&&typeof y==='number'?x-y:String(x).localeCompare(String(y)))*dir});drawTable();lt.dataset.sorted=k+(dir<0?':desc':':asc')});
document.getElementById('filter').addEventListener('input',drawTable);drawTable();
// charts
function treemap(id,key){const s=svg(id,600,300);const top=(kids[0]||[]).filter(i=>L[i][key]>0);const sum=top.reduce((a,i)=>a+L[i][key],0)||1;
 let x=0;const pal=['#4c78a8','#f58518','#54a24b','#e45756','#72b7b2','#eeca3b','#b279a2','#ff9da6','#9d755d','#bab0ac'];
 top.sort((a,b)=>L[b][key]-L[a][key]).forEach((i,k)=>{const w=600*L[i][key]/sum;const sub=(kids[i]||[]).filter(j=>L[j][key]>0);const ss=sub.reduce((a,j)=>a+L[j][key],0);
  let y=0;if(sub.length&&ss>0)sub.forEach(j=>{const h=300*L[j][key]/ss;const r=el('rect',{x:x,y:y,width:Math.max(w-1,0.5),height:Math.max(h-1,0.5),fill:pal[k%10],'fill-opacity':0.55+0.45*((j%2)),stroke:'#fff'},s);el('title',{},r,`${L[j].path}: ${si(L[j][key])}`);y+=h});
  else{const r=el('rect',{x:x,y:0,width:Math.max(w-1,0.5),height:300,fill:pal[k%10],stroke:'#fff'},s);el('title',{},r,`${L[i].path}: ${si(L[i][key])}`)}
  if(w>40)el('text',{x:x+4,y:14,'font-size':11,fill:'#111'},s,L[i].path.split('.').pop());x+=w});
 if(!top.length)el('text',{x:10,y:20,'font-size':12},s,'nothing to show')}
treemap('chart-macs','macs');treemap('chart-params','params');
(function(){const s=svg('chart-top',600,300);const leaves=L.filter((n,i)=>!(kids[i]||[]).length&&n.macs>0).sort((a,b)=>b.macs-a.macs).slice(0,12);
 const m=leaves.length?leaves[0].macs:1;leaves.forEach((n,k)=>{const y=6+k*24;el('text',{x:0,y:y+13,'font-size':11},s,n.path.slice(-28));
 const r=el('rect',{x:190,y:y,width:Math.max(330*n.macs/m,1),height:16,fill:'#4c78a8'},s);el('title',{},r,si(n.macs)+' MACs');el('text',{x:195+330*n.macs/m,y:y+13,'font-size':11},s,si(n.macs))});
 if(!leaves.length)el('text',{x:10,y:20,'font-size':12},s,'no MACs')})();
if(D.memory&&D.memory.timeline&&D.memory.timeline.length){const s=svg('chart-memory',600,260);const t=D.memory.timeline;const m=Math.max(...t.map(e=>e[2]),1);
 const pts=t.map((e,k)=>`${40+550*k/Math.max(t.length-1,1)},${230-210*e[2]/m}`).join(' ');el('polyline',{points:pts,fill:'none',stroke:'#e45756','stroke-width':1.5},s);
 el('line',{x1:40,y1:230,x2:590,y2:230,stroke:'#999'},s);el('text',{x:40,y:250,'font-size':11},s,'module enter/exit events →');el('text',{x:42,y:16,'font-size':11},s,'live activations, peak '+si(m)+'B')}
if(D.roofline){const s=svg('chart-roofline',600,300);const r=D.roofline,P=r.peak_flops,W=r.hardware.memory_bandwidth;
 const pts=L.filter((n,i)=>!(kids[i]||[]).length&&n.intensity>0&&n.time_s>0).map(n=>[n.intensity,n.intensity*((n.read_bytes||0)+(n.write_bytes||0))/n.time_s,n.time_s,n.path,n.bound]);
 const xs=pts.map(p=>p[0]).concat([r.ridge_intensity/50,r.ridge_intensity*20]);const lo=Math.log10(Math.min(...xs)),hi=Math.log10(Math.max(...xs));
 const ylo=Math.log10(Math.min(...pts.map(p=>p[1]).concat([P/1e4]))),yhi=Math.log10(P*1.5);
 const X=v=>50+540*(Math.log10(v)-lo)/(hi-lo||1),Y=v=>280-260*(Math.log10(v)-ylo)/(yhi-ylo||1);
 const roof=[];for(let k=0;k<=100;k++){const v=Math.pow(10,lo+(hi-lo)*k/100);roof.push(`${X(v)},${Y(Math.min(P,W*v))}`)}
 el('polyline',{points:roof.join(' '),fill:'none',stroke:'#111','stroke-width':2},s);
 pts.forEach(p=>{const c=el('circle',{cx:X(p[0]),cy:Y(p[1]),r:Math.max(2,Math.sqrt(400*p[2]/r.latency_s)),fill:p[4]==='compute'?'#e45756':'#4c78a8','fill-opacity':0.6},s);el('title',{},c,`${p[3]}: ${p[4]}-bound`)});
 el('text',{x:52,y:14,'font-size':11},s,`roof ${si(P)}FLOP/s, ${si(W)}B/s — intensity (log) →`)}
// what the page drew, for its own test: every chart's size
const sizes={};document.querySelectorAll('.chart svg').forEach(s=>{const b=s.getBoundingClientRect();sizes[s.parentNode.id]=[Math.round(b.width),Math.round(b.height)]});
document.body.dataset.charts=JSON.stringify(sizes);
if(location.hash==='#selftest'){const b=tb.querySelector('tr[data-depth="1"] .tog');let tree='none';
 if(b){const i=+b.closest('tr').dataset.i;const child=tb.rows[kids[i][0]];const before=child.hidden;b.click();tree=(before&&!child.hidden)?'ok':'failed'}
 lt.querySelector('th[data-k="macs"]').click();const c=cols.indexOf('macs');
 const shown=[...lb.rows].map(r=>Number(r.cells[c].textContent.replace(/,/g,'')));
 const sorted=shown.length===L.length&&shown.every((v,k)=>k===0||shown[k-1]>=v);
 document.body.dataset.selftest=`tree:${tree};sort:${sorted?'ok':'failed'}`}
document.body.dataset.ready='1';
})();
