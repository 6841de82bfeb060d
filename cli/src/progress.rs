//! A progress bar on standard error for large uploads, only when standard error is a terminal.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

/// Bodies smaller than this upload without a bar.
pub const MIN_BYTES: u64 = 4 * 1024 * 1024;

/// A bar for a body of `total` bytes, or none (quiet, small body, or standard error not a terminal).
pub fn bar(total: u64, quiet: bool) -> Option<ProgressBar> {
    if quiet || total < MIN_BYTES || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(total);
    let style = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] [{wide_bar}] {bytes}/{total_bytes} ({binary_bytes_per_sec}, {eta})",
    )
    .map(|style| style.progress_chars("=> "))
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    Some(bar)
}

/// The core's progress callback driving `bar`: `(sent, total)`, never cancelling. A retry starts
/// again from 0, and the bar follows.
pub fn callback(bar: &ProgressBar) -> impl Fn(u64, u64) -> bool + Send + Sync + 'static {
    let bar = bar.clone();
    move |sent, total| {
        bar.set_length(total);
        bar.set_position(sent);
        true
    }
}
