//! Linux's /proc, as the local stack (its services' processes) and the load test (their CPU
//! time) read it.

use std::sync::OnceLock;

/// What a process's `/proc/<pid>/stat` line says of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessStat {
    /// The command name (`comm`), without its parentheses.
    pub name: String,
    pub ppid: u32,
    /// Time spent in user mode, in clock ticks ([`clock_ticks`] a second).
    pub utime: u64,
    /// Time spent in the kernel, in clock ticks.
    pub stime: u64,
}

impl ProcessStat {
    /// Parses a stat line, `pid (comm) state ppid … utime stime …`. The command name may hold
    /// spaces and parentheses itself, so it ends at the line's last `)`.
    pub fn parse(line: &str) -> Option<Self> {
        let (head, rest) = line.rsplit_once(')')?;
        let name = head.split_once('(')?.1.to_owned();
        // After the name: state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt
        // cmajflt utime stime.
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let field = |i: usize| fields.get(i)?.parse::<u64>().ok();
        Some(Self {
            name,
            ppid: field(1)?.try_into().ok()?,
            utime: field(11)?,
            stime: field(12)?,
        })
    }

    /// The stat line of process `pid`, or of this process for `"self"`.
    pub fn read(pid: impl std::fmt::Display) -> Option<Self> {
        Self::parse(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
    }

    /// User and system time together, in milliseconds.
    pub fn cpu_ms(&self) -> f64 {
        ticks_to_ms(self.utime + self.stime)
    }
}

/// The whole machine's busy time since boot, in milliseconds: every core's time in all
/// states but idle and I/O wait (the first line of `/proc/stat`).
pub fn machine_busy_ms() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    // cpu user nice system idle iowait irq softirq steal …
    let busy: Option<Vec<u64>> = stat
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .take(8)
        .enumerate()
        .filter(|(i, _)| *i != 3 && *i != 4)
        .map(|(_, f)| f.parse().ok())
        .collect();
    Some(ticks_to_ms(busy?.iter().sum()))
}

/// Clock ticks a second, the unit of /proc's times (`getconf CLK_TCK`, asked once; 100, the
/// value Linux fixes for user space on x86, when `getconf` cannot be run).
pub fn clock_ticks() -> u64 {
    static TICKS: OnceLock<u64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|out| String::from_utf8(out.stdout).ok()?.trim().parse().ok())
            .filter(|&ticks| ticks > 0)
            .unwrap_or(100)
    })
}

/// `ticks` clock ticks, in milliseconds.
pub fn ticks_to_ms(ticks: u64) -> f64 {
    ticks as f64 * 1000.0 / clock_ticks() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The name ends at the last `)`, whatever it holds, and the times are the 14th and
    /// 15th fields of the line.
    #[test]
    fn a_stat_line_is_read_past_a_name_with_spaces_and_parentheses() {
        let line = "4242 (moto (x) server) S 17 4242 4242 0 -1 4194560 1200 0 3 0 \
                    731 59 0 0 20 0 9 0 123456 912345678 20000 18446744073709551615";
        let stat = ProcessStat::parse(line).unwrap();
        assert_eq!(stat.name, "moto (x) server");
        assert_eq!((stat.ppid, stat.utime, stat.stime), (17, 731, 59));
        assert!(ProcessStat::parse("4242 moto S 17").is_none());
        assert!(
            ProcessStat::parse("4242 (java) S 17 1 1 0").is_none(),
            "too short"
        );
    }

    /// This process's own line: its name is the test binary's, its parent is the one
    /// /proc gives, and its time grows as it works.
    #[test]
    fn this_process_reads_its_own_line() {
        let before = ProcessStat::read("self").unwrap();
        assert_eq!(before.ppid, std::os::unix::process::parent_id());
        let name = std::env::current_exe().unwrap();
        let name = name.file_name().unwrap().to_string_lossy();
        // comm keeps the first 15 bytes of the name.
        assert!(
            name.starts_with(&before.name),
            "{} against {name}",
            before.name
        );
        // Work until the time grows by a tick at least (within seconds on any machine).
        let start = std::time::Instant::now();
        let mut spin = 0u64;
        let mut after = ProcessStat::read("self").unwrap();
        while after.cpu_ms() <= before.cpu_ms() && start.elapsed().as_secs() < 10 {
            for _ in 0..100_000 {
                spin = spin.wrapping_add(std::hint::black_box(1));
            }
            after = ProcessStat::read("self").unwrap();
        }
        assert!(
            after.cpu_ms() > before.cpu_ms(),
            "no time counted after {spin} steps"
        );
        assert_eq!(
            clock_ticks(),
            100,
            "Linux on x86 gives user space 100 a second"
        );
        // The machine's busy time covers this process's at least.
        assert!(machine_busy_ms().unwrap() >= after.cpu_ms());
    }
}
