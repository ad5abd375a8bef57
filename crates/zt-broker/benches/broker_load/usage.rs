//! Where the bench process's CPU time went: the load client's threads apart from the
//! broker's, from `/proc/self/task`.

use crate::CLIENT_THREADS;

/// Seconds of this process's threads, split by thread name: the load client's, and everything
/// else (the broker's runtime, SQLite's threads).
#[derive(Clone, Copy, Default)]
pub(crate) struct Usage {
    pub client_cpu: f64,
    pub broker_cpu: f64,
    /// Runnable but waiting for a CPU (`/proc/…/schedstat`; 0 where the kernel keeps none).
    pub client_wait: f64,
    pub broker_wait: f64,
}

pub(crate) fn usage() -> Usage {
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    let mut u = Usage::default();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return u;
    };
    for t in tasks.flatten() {
        let Ok(stat) = std::fs::read_to_string(t.path().join("stat")) else {
            continue;
        };
        // `pid (comm) state …`: comm may hold spaces, so split at the last parenthesis.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let comm = &stat[open + 1..close];
        let fields: Vec<&str> = stat[close + 2..].split(' ').collect();
        // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after comm.
        let field = |i: usize| {
            fields
                .get(i)
                .and_then(|f| f.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        let cpu = (field(11) + field(12)) / ticks;
        // schedstat: time on a CPU, time waiting for one (ns), timeslices.
        let wait = std::fs::read_to_string(t.path().join("schedstat"))
            .ok()
            .and_then(|s| s.split(' ').nth(1).and_then(|w| w.parse::<f64>().ok()))
            .unwrap_or(0.0)
            / 1e9;
        if comm.starts_with(CLIENT_THREADS) {
            u.client_cpu += cpu;
            u.client_wait += wait;
        } else {
            u.broker_cpu += cpu;
            u.broker_wait += wait;
        }
    }
    u
}
