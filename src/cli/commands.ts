/**
 * Every command's module, loaded only when needed: a command's module pulls TF.js, the store's
 * SQLite and the native addon, which take most of a start-up. The build writes the commands' names,
 * usage terms and descriptions to commands.json (write-manifest.ts), as oclif's manifest does, so
 * `sprig --help` lists them without loading any; `sprig <cmd>` loads only that command's module.
 */
import { readFileSync } from 'node:fs';
import { Command, Help } from 'commander';

type Register = (program: Command) => void;

/**
 * Each module's `register`, in the order of `sprig --help`. One that adds no command (sparse-engine)
 * runs with every command: it adds its flag to those registered before it.
 */
export const REGISTRARS: Array<() => Promise<Register>> = [
  async () => (await import('./flagship.js')).register,
  async () => (await import('./kind-commands.js')).register,
  async () => (await import('./runs.js')).register,
  async () => (await import('./info.js')).register,
  async () => (await import('./bench.js')).register,
  async () => (await import('./serve.js')).register,
  async () => (await import('./plot.js')).register,
  async () => (await import('./reproduce.js')).register,
  async () => (await import('./sweep.js')).register,
  async () => (await import('./worker.js')).register,
  async () => (await import('./predict.js')).register,
  async () => (await import('./sparse-engine.js')).register, // export and verify, after it, have no --sparse-engine
  async () => (await import('./export.js')).register,
  async () => (await import('./verify.js')).register,
];

/** The program before its commands: name, description, version. */
export function sprigProgram(): Command {
  return new Command('sprig')
    .description(
      'sparse neural networks: lottery tickets, dynamic sparse training, and the instruments to study them',
    )
    .version('0.1.0')
    .showHelpAfterError();
}

/** One command as `sprig --help` lists it, and the index in REGISTRARS of the module that adds it. */
export interface CommandEntry {
  name: string;
  term: string;
  description: string;
  registrar: number;
}

export const MANIFEST_URL = new URL('./commands.json', import.meta.url);

/** Runs the registrars of `which` (indices into REGISTRARS, in order) on `program`. */
async function registerSome(program: Command, which: number[]): Promise<void> {
  const registers = await Promise.all(which.map((i) => REGISTRARS[i]!()));
  for (const register of registers) register(program);
}

/** Every command, fully; the manifest of what each registrar added. */
export async function registerAll(program: Command): Promise<CommandEntry[]> {
  const help = program.createHelp();
  const entries: CommandEntry[] = [];
  for (const [registrar, load] of REGISTRARS.entries()) {
    const before = program.commands.length;
    (await load())(program);
    for (const cmd of program.commands.slice(before))
      entries.push({ name: cmd.name(), term: '', description: cmd.description(), registrar });
  }
  // terms last: the sparse-engine registrar gives every command an option
  for (const [i, cmd] of program.commands.entries()) entries[i]!.term = help.subcommandTerm(cmd);
  return entries;
}

function readManifest(): CommandEntry[] | undefined {
  try {
    return JSON.parse(readFileSync(MANIFEST_URL, 'utf8')) as CommandEntry[];
  } catch {
    return undefined; // run from src (tsx): no build, so every module is loaded
  }
}

/**
 * The command that argv names (`sprig CMD …`, `sprig help CMD`), as commander reads it: a leading
 * flag is the program's own (`-h`, `-V`: sprig has no program flag that takes a value).
 */
export function namedCommand(args: string[]): string | undefined {
  const [first, second] = args;
  const word = first === 'help' ? second : first;
  return word?.startsWith('-') ? undefined : word;
}

/**
 * Registers what a run of `args` needs: the named command's module and the registrars that reach
 * every command; or, for `sprig --help`, `-V` or an unknown name, each command's name and
 * description from the manifest (no action runs there: commander prints the help or the error).
 */
export async function registerFor(program: Command, args: string[]): Promise<void> {
  const manifest = readManifest();
  if (!manifest) return void (await registerAll(program));
  const name = namedCommand(args);
  const owner = manifest.find((c) => c.name === name)?.registrar;
  if (owner !== undefined) {
    const global = [...REGISTRARS.keys()].filter((i) => !manifest.some((c) => c.registrar === i));
    return registerSome(
      program,
      [owner, ...global].sort((a, b) => a - b),
    );
  }
  for (const c of manifest) program.command(c.name).description(c.description);
  const terms = new Map(manifest.map((c) => [c.name, c.term]));
  program.configureHelp({
    subcommandTerm: (cmd: Command) => terms.get(cmd.name()) ?? new Help().subcommandTerm(cmd), // help [command]
  });
}
