//! Progress bars for long CLI work (import, backup, generation, benchmarks' set-up), one style.

/// A bar over `total` items of `unit` (rows, tasks, files), labelled `what`.
pub fn bar(total: u64, what: &str, unit: &str) -> indicatif::ProgressBar {
    let b = indicatif::ProgressBar::new(total);
    b.set_style(
        indicatif::ProgressStyle::with_template(&format!(
            "{{spinner}} {what} {{msg:24}} {{pos}}/{{len}} {unit} [{{bar:30}}] {{per_sec}} {{eta}}"
        ))
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    b
}
