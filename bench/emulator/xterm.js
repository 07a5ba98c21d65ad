// Feeds a raw terminal output file to xterm.js headless in 4 KB writes
// (like a pty read loop) and exits when it has parsed all of it.
//   node xterm.js FILE COLS ROWS
const { Terminal } = require('@xterm/headless');
const fs = require('fs');
const [file, cols, rows] = process.argv.slice(2);
const data = fs.readFileSync(file);
const t = new Terminal({ cols: +cols, rows: +rows, scrollback: 0, allowProposedApi: true });
for (let i = 0; i < data.length; i += 4096) t.write(data.subarray(i, Math.min(i + 4096, data.length)));
t.write('', () => process.exit(0));
