//! Progress lines on stderr for long transfers (one every 10%).

use std::time::Instant;

/// Prints a line to stderr each time another tenth of `total` bytes has passed.
#[derive(Debug)]
pub(crate) struct Progress {
    label: String,
    total: u64,
    done: u64,
    next_tenth: u64,
    started: Instant,
}

impl Progress {
    /// Starts reporting on a transfer of `total` bytes described by `label`.
    pub(crate) fn new(label: String, total: u64) -> Self {
        eprintln!("goru-interpreters: {label}: {}", mb(total));
        Self {
            label,
            total,
            done: 0,
            next_tenth: 1,
            started: Instant::now(),
        }
    }

    /// Records `n` more bytes, printing a line when a tenth is crossed.
    pub(crate) fn advance(&mut self, n: u64) {
        self.done += n;
        if self.total == 0 {
            return;
        }
        let tenths = (self.done.saturating_mul(10) / self.total).min(10);
        if tenths >= self.next_tenth {
            self.next_tenth = tenths + 1;
            eprintln!(
                "goru-interpreters: {}: {}% ({} of {}, {:.1} s)",
                self.label,
                tenths * 10,
                mb(self.done),
                mb(self.total),
                self.started.elapsed().as_secs_f64()
            );
        }
    }
}

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}
