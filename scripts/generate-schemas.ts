// `npm run contract:schemas`: writes docs/schemas/ from the DTOs in libs/contracts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { inboundSchemas, serialise } from '../libs/contracts/src/json-schemas';

const dir = path.resolve(__dirname, '../../docs/schemas');
fs.mkdirSync(dir, { recursive: true });
for (const [file, schema] of Object.entries(inboundSchemas())) {
  fs.writeFileSync(path.join(dir, file), serialise(schema));
  console.log(`wrote docs/schemas/${file}`);
}
