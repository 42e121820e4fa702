// SPDX-License-Identifier: GPL-2.0 OR MIT
//
// Syntax check of a TLA+ module where TLC/SANY cannot run: parse it with
// the tree-sitter TLA+ grammar and report parse errors and identifiers
// that are used but never declared (a typo SANY would reject). It does not
// type-check or evaluate anything.
//
//   NODE_PATH=<dir>/node_modules node tla/tla-syntax.js tla/RingMPSC.tla
'use strict';
const fs = require('fs');

const STD = new Set(['Nat', 'Int', 'BOOLEAN', 'TRUE', 'FALSE', 'Len', 'Append',
	'Head', 'Tail', 'SelectSeq', 'Seq', 'SubSeq', 'Naturals', 'Integers',
	'Sequences', 'FiniteSets', 'Cardinality', 'TLC']);

(async () => {
	const TS = require('web-tree-sitter');
	const Parser = TS.Parser || TS;
	await Parser.init();
	const Language = TS.Language || Parser.Language;
	const wasm = require.resolve('@tlaplus/tree-sitter-tlaplus/tree-sitter-tlaplus.wasm');
	const parser = new Parser();
	parser.setLanguage(await Language.load(wasm));

	let bad = 0;
	for (const file of process.argv.slice(2)) {
		const src = fs.readFileSync(file, 'utf8');
		const root = parser.parse(src).rootNode;
		const declared = new Set();
		const used = [];
		const walk = (n) => {
			if (n.type === 'ERROR' || n.isMissing) {
				bad++;
				console.log(`${file}:${n.startPosition.row + 1}: parse error near ` +
					JSON.stringify(src.slice(n.startIndex, n.startIndex + 60)));
			}
			if (n.type === 'identifier')
				declared.add(n.text);
			if (n.type === 'identifier_ref')
				used.push(n);
			for (const c of n.children)
				walk(c);
		};
		walk(root);
		for (const n of used) {
			if (!declared.has(n.text) && !STD.has(n.text)) {
				bad++;
				console.log(`${file}:${n.startPosition.row + 1}: undeclared ${n.text}`);
			}
		}
	}
	process.exit(bad ? 1 : 0);
})().catch((e) => { console.log(String(e)); process.exit(2); });
