//! Figures of a process read from Linux's `/proc`: resident memory, open file descriptors and
//! CPU time. Used by the node's metrics (its own process) and by the load commands (a node
//! process they started). Elsewhere than Linux every figure is `None`.

use std::fs;

/// What `/proc` says about one process at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProcessFigures {
    /// Resident set size (`VmRSS`), in bytes.
    pub rss_bytes: Option<u64>,
    /// Open file descriptors (entries of `/proc/PID/fd`).
    pub open_fds: Option<u64>,
    /// User and system CPU time, in milliseconds.
    pub cpu_millis: Option<u64>,
}

/// Clock ticks per second of `/proc/PID/stat`'s times: `USER_HZ`, 100 on every Linux ABI.
const USER_HZ: u64 = 100;

/// The figures of process `pid`, or of this process when `pid` is `None`.
pub fn figures(pid: Option<u32>) -> ProcessFigures {
    let dir = match pid {
        Some(pid) => format!("/proc/{pid}"),
        None => "/proc/self".to_string(),
    };
    ProcessFigures {
        rss_bytes: fs::read_to_string(format!("{dir}/status"))
            .ok()
            .and_then(|status| rss_from_status(&status)),
        open_fds: fs::read_dir(format!("{dir}/fd"))
            .ok()
            .map(|entries| entries.count() as u64),
        cpu_millis: fs::read_to_string(format!("{dir}/stat"))
            .ok()
            .and_then(|stat| cpu_millis_from_stat(&stat)),
    }
}

/// `VmRSS:   12345 kB` → bytes.
fn rss_from_status(status: &str) -> Option<u64> {
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

/// utime + stime (fields 14 and 15) of `/proc/PID/stat`, in milliseconds. The command name
/// (field 2) is in parentheses and may hold spaces, so fields are counted after its last `)`.
fn cpu_millis_from_stat(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    utime
        .checked_add(stime)?
        .checked_mul(1000)
        .map(|ticks| ticks / USER_HZ)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rss_and_cpu_from_proc_text() {
        assert_eq!(
            rss_from_status("Name:\tx\nVmRSS:\t   2048 kB\nVmSwap:\t0 kB\n"),
            Some(2 << 20)
        );
        assert_eq!(rss_from_status("Name:\tx\n"), None);
        // pid (comm with ") " inside) state ppid … utime=250 stime=50 …
        let stat = "42 (a) b) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 1 0";
        assert_eq!(cpu_millis_from_stat(stat), Some(3000));
        assert_eq!(cpu_millis_from_stat("garbage"), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_has_figures() {
        let figures = figures(None);
        assert!(figures.rss_bytes.unwrap_or(0) > 0);
        assert!(figures.open_fds.unwrap_or(0) >= 3);
        assert!(figures.cpu_millis.is_some());
    }
}
