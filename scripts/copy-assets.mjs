// tsc compiles only TypeScript; the numbered SQL migrations, dashboard files and simulator media ship beside the compiled code.
// Each copy replaces the last one whole: a migration renamed or removed in src/ must not linger in dist/ and run.
import { chmodSync, cpSync, existsSync, rmSync } from 'node:fs';

for (const dir of ['db/migrations', 'http/ui/public', 'http/ui/dashboard/public', 'http/ui/playground/public', 'simulators/media']) {
  rmSync(`dist/${dir}`, { recursive: true, force: true });
  if (existsSync(`src/${dir}`)) cpSync(`src/${dir}`, `dist/${dir}`, { recursive: true });
}
chmodSync('dist/cli/main.js', 0o755);
