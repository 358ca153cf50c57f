// Ends every jest run with its totals as one plain line, `N passed, N failed` (and
// `, N skipped` when some were), which CI reads. JavaScript, because jest loads reporters
// without its transform.
const fs = require('node:fs');

class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    // Suites that failed to run have no failed tests but must still fail the line.
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    let line = `${results.numPassedTests} passed, ${failed} failed`;
    if (skipped > 0) line += `, ${skipped} skipped`;
    // At exit, so that it follows jest's own summary (printed after every reporter's
    // onRunComplete) and stays the last line.
    process.once('exit', () => fs.writeSync(1, `\n${line}\n`));
  }
}

module.exports = SummaryReporter;
