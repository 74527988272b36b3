const { Decoder } = require('./index.js');
const { readFileSync } = require('node:fs');
function ivf(p){const f=readFileSync(p);const out=[];for(let o=f.readUInt16LE(6);o+12<=f.length;){const s=f.readUInt32LE(o);out.push(f.subarray(o+12,o+12+s));o+=12+s;}return out;}
function annexB(p){const b=readFileSync(p);const st=[];for(let i=0;i+3<b.length;i++) if(b[i]===0&&b[i+1]===0&&b[i+2]===0&&b[i+3]===1) st.push(i);
 const nals=st.map((s,k)=>b.subarray(s,k+1<st.length?st[k+1]:b.length)); const aus=[[]];
 for(const n of nals){const t=n[4]&0x1f;const cur=aus[aus.length-1];const sp=t===7||((t===1||t===5)&&(n[5]&0x80));if(sp&&cur.some(x=>[1,5].includes(x[4]&0x1f)))aus.push([n]);else cur.push(n);} return aus.map(a=>Buffer.concat(a));}
const [codec, file] = process.argv.slice(2);
const frames = file.endsWith('.ivf') ? ivf(file) : annexB(file);
const d = new Decoder(codec); const t=[]; let n=0, pic;
for (const f of frames) { const s=performance.now(); const p=d.decode(f); t.push(performance.now()-s); if(p){n++; pic=p;} }
const y = pic.data; const at=(x,yy)=>y[yy*pic.width+x];
console.log(codec, frames.length, n, pic.width, pic.height, 'Y in square', at(450,170), 'outside', at(50,50), 'median', t.sort((a,b)=>a-b)[t.length>>1].toFixed(3));
d.close(); d.close();
