/** Writes the machine's JSON definition and Mermaid diagram into machines/ (`npm run machines:export`). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportFiles } from './diagram';
import { peerSessionMachine } from './peerSession.machine';

for (const [name, content] of Object.entries(exportFiles(peerSessionMachine))) {
  writeFileSync(join(__dirname, name), content);
  console.log(`wrote machines/${name}`);
}
