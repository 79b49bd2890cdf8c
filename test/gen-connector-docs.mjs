#!/usr/bin/env node
// Prints docs/connectors.md from the built connector catalogues (the same tables the gateway maps
// with). Usage: npm run build && node test/gen-connector-docs.mjs > docs/connectors.md
// src/connectors/catalogue-doc.test.ts fails when the committed file differs from this output.
const { renderConnectorDocs } = await import('../dist/src/connectors/catalogue-doc.js').catch((err) => {
  console.error(`cannot load dist/src/connectors (${err.message}); run \`npm run build\` first`);
  process.exit(1);
});
process.stdout.write(renderConnectorDocs());
