// A `node --test` reporter writing JSON: every leaf test's full name, outcome and duration.
//
// The evidence runner reads this instead of parsing node's TAP stream. A test's
// full name joins its suites with " > " (as attacks.toml and rules.toml name
// node tests); suites themselves are not tests. Node reports a test after its
// children, so children wait in `pending` until their parent names them.
//
// Usage: node --test --test-reporter=./evidence/node_reporter.mjs \
//          --test-reporter-destination=report.json tests/js/x.test.js

export default async function* evidenceReporter(source) {
  const pending = [];
  const counts = {};
  for await (const event of source) {
    if (event.type === 'test:diagnostic' && event.data.nesting === 0) {
      const match = /^(tests|suites|pass|fail|cancelled|skipped|todo) (\d+)$/.exec(event.data.message);
      if (match) counts[match[1]] = Number(match[2]);
      continue;
    }
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { name, nesting, details, skip, todo } = event.data;
    const children = [];
    while (pending.length > 0 && pending[pending.length - 1].nesting > nesting) {
      children.unshift(pending.pop());
    }
    for (const child of children) {
      child.name = `${name} > ${child.name}`;
      child.nesting = nesting;
      pending.push(child);
    }
    if (details?.type === 'suite') continue;
    let outcome = event.type === 'test:pass' ? 'passed' : 'failed';
    if (skip !== undefined || todo !== undefined) outcome = 'skipped';
    pending.push({ name, nesting, outcome, duration: (details?.duration_ms ?? 0) / 1000 });
  }
  const tests = pending.map(({ name, outcome, duration }) => ({ name, outcome, duration }));
  yield `${JSON.stringify({ runner: 'node', counts, tests }, null, 1)}\n`;
}
