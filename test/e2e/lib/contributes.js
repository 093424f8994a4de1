// What the extension contributes right now (package.json) and which sources exist: scenarios skip
// with a reason while the feature they test has not landed, and fail once it has.
'use strict';
const fs = require('fs');
const path = require('path');

const contributes = (pkg) => pkg.contributes || {};

function hasCommand(pkg, id) {
  return (contributes(pkg).commands || []).some((c) => c.command === id);
}

/** The palette label of a contributed command: `Category: Title` (or the title). */
function commandLabel(pkg, id) {
  const c = (contributes(pkg).commands || []).find((x) => x.command === id);
  if (!c) throw new Error(`command ${id} is not contributed`);
  const title = typeof c.title === 'string' ? c.title : c.title.value;
  const cat = typeof c.category === 'string' ? c.category : c.category && c.category.value;
  return cat ? `${cat}: ${title}` : title;
}

function hasView(pkg, id) {
  return Object.values(contributes(pkg).views || {}).some((list) => (list || []).some((v) => v.id === id));
}

function hasCustomEditor(pkg, viewType) {
  return (contributes(pkg).customEditors || []).some((e) => e.viewType === viewType);
}

/** `<file> not in the repo yet` for the first missing file, else null. */
function missingFiles(repo, rels) {
  const miss = rels.find((r) => !fs.existsSync(path.join(repo, r)));
  return miss ? `${miss} not in the repo yet` : null;
}

module.exports = { hasCommand, commandLabel, hasView, hasCustomEditor, missingFiles };
