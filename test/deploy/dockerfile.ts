import { readFileSync } from 'node:fs';

/** One Dockerfile instruction: its keyword, its flags (`--from=build`) and the rest of the line. */
export interface Instruction {
  keyword: string;
  flags: Record<string, string>;
  args: string;
}

export interface Stage {
  base: string;
  name?: string;
  instructions: Instruction[];
}

/** The stages of a Dockerfile: comments dropped, continued lines joined, flags split from the arguments. */
export function parseDockerfile(path: string): Stage[] {
  const lines = readFileSync(path, 'utf8').replace(/\\\n/g, ' ').split('\n');
  const stages: Stage[] = [];
  for (const line of lines.map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))) {
    const [, keyword, rest] = /^(\S+)\s+(.*)$/.exec(line)!;
    const flags: Record<string, string> = {};
    let args = rest!;
    for (let flag = /^--([\w-]+)=(\S+)\s+/.exec(args); flag; flag = /^--([\w-]+)=(\S+)\s+/.exec(args)) {
      flags[flag[1]!] = flag[2]!;
      args = args.slice(flag[0].length);
    }
    const instruction = { keyword: keyword!.toUpperCase(), flags, args };
    if (instruction.keyword === 'FROM') {
      const [base, , name] = args.split(/\s+/);
      stages.push({ base: base!, name, instructions: [] });
    } else {
      stages.at(-1)!.instructions.push(instruction);
    }
  }
  return stages;
}

/** `KEY=value KEY2=value2` of an ENV instruction. */
export function envOf(args: string): Record<string, string> {
  return Object.fromEntries([...args.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1]!, m[2]!]));
}
