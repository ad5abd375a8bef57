//! What the broker's micro-benchmarks share: one line of figures per case.

use std::time::Duration;

/// `label: median, p90, p99 (µs) over N`, from the samples in any order.
pub(crate) fn report(label: &str, mut samples: Vec<Duration>) {
    samples.sort_unstable();
    let pct = |p: f64| -> Duration {
        let i = ((samples.len() as f64 - 1.0) * p).round() as usize;
        samples[i.min(samples.len() - 1)]
    };
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!(
        "{label}: median {:.1} µs, p90 {:.1} µs, p99 {:.1} µs over {}",
        us(pct(0.5)),
        us(pct(0.9)),
        us(pct(0.99)),
        samples.len()
    );
}
