// tsc compiles only TypeScript; the numbered SQL migrations, dashboard files and simulator media ship beside the compiled code.
import { chmodSync, cpSync, existsSync } from 'node:fs';

for (const dir of ['db/migrations', 'http/ui/dashboard/public', 'http/ui/playground/public', 'simulators/media']) {
  if (existsSync(`src/${dir}`)) cpSync(`src/${dir}`, `dist/${dir}`, { recursive: true });
}
chmodSync('dist/cli/main.js', 0o755);
