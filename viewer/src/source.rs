//! Where the snapshots come from while the viewer runs: a finished run (nothing to do), a run
//! another `basintwin run` process is writing (`--follow`), or a scenario run in-process on a
//! background thread (`--live`). Both of the latter are polled: new snapshots extend the
//! timeline as they land in `snapshots.h5`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Result, anyhow};
use bevy::prelude::*;

use crate::data::RunData;
use crate::timeline::{Timeline, ViewerSet};
use crate::ui::SourceStatus;

/// How a live run is going.
#[derive(Debug, Clone, PartialEq)]
pub enum LiveState {
    Running,
    Done,
    Failed(String),
}

/// A scenario running in-process.
#[derive(Debug, Clone, Resource)]
pub struct LiveRun {
    pub state: Arc<Mutex<LiveState>>,
    pub out: PathBuf,
}

impl LiveRun {
    /// Starts `scenario` on a background thread (`backend` cpu or gpu; `overwrite` an earlier
    /// run's results) and returns once its first snapshot is on disk.
    pub fn start(scenario: &Path, backend: Option<&str>, overwrite: bool) -> Result<Self> {
        let mut sc = basintwin_runner::scenario::load(scenario)?;
        if let Some(b) = backend {
            sc.backend = b.to_string();
        }
        let out = sc.output_dir.clone();
        let state = Arc::new(Mutex::new(LiveState::Running));
        let st = state.clone();
        std::thread::Builder::new()
            .name("basintwin-live-run".into())
            .spawn(move || {
                let r = basintwin_runner::run::run_scenario(
                    &sc,
                    basintwin_runner::run::RunOptions {
                        threads: None,
                        overwrite,
                        resume: false,
                        quiet: true,
                        json: false,
                        interrupt: None,
                        member: None,
                    },
                );
                let mut s = st.lock().unwrap_or_else(|e| e.into_inner());
                *s = match r {
                    Ok(_) => LiveState::Done,
                    Err(e) => LiveState::Failed(format!("{e:#}")),
                };
            })
            .map_err(|e| anyhow!("cannot start the run: {e}"))?;
        let live = LiveRun { state, out };
        live.wait_first_snapshot()?;
        Ok(live)
    }

    fn wait_first_snapshot(&self) -> Result<()> {
        // The folder may not exist yet.
        let path = basintwin_io::RunFolder::new(&self.out).snapshots();
        loop {
            // The state first: a run that ends between the two looks is looked at once more.
            let state = self.state();
            if let LiveState::Failed(e) = state {
                return Err(anyhow!("the run failed before its first snapshot: {e}"));
            }
            match basintwin_io::SnapshotReader::open(&path) {
                Ok(r) if !r.times.is_empty() => return Ok(()),
                Ok(_) => {}
                Err(e) if state == LiveState::Done => {
                    return Err(anyhow!(
                        "{}: cannot read the snapshots: {e}",
                        path.display()
                    ));
                }
                Err(e) => debug!("waiting for the first snapshot: {e}"),
            }
            if state == LiveState::Done {
                return Err(anyhow!(
                    "{}: the run ended without snapshots",
                    path.display()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn state(&self) -> LiveState {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// Poll for new snapshots (a live or followed run).
#[derive(Debug, Clone, Resource)]
pub struct Follow {
    pub every: Duration,
}

#[derive(Debug)]
pub struct SourcePlugin;

impl Plugin for SourcePlugin {
    fn build(&self, app: &mut App) {
        app.add_systems(Update, poll.in_set(ViewerSet::Source));
    }
}

fn poll(
    time: Res<Time<Real>>,
    follow: Option<Res<Follow>>,
    live: Option<Res<LiveRun>>,
    mut run: ResMut<RunData>,
    mut timeline: ResMut<Timeline>,
    mut status: ResMut<SourceStatus>,
    mut since: Local<f64>,
) {
    let Some(follow) = follow else { return };
    *since += time.delta_secs_f64();
    if *since < follow.every.as_secs_f64() {
        return;
    }
    *since = 0.0;
    match run.refresh() {
        Ok(true) => timeline.set_times(run.times().to_vec()),
        Ok(false) => {}
        // The writer may be between two writes: try again at the next poll.
        Err(e) => debug!("refresh: {e:#}"),
    }
    status.0 = match live.map(|l| l.state()) {
        Some(LiveState::Running) => format!("live: running ({} snapshots)", run.times().len()),
        Some(LiveState::Done) => "live: finished".into(),
        Some(LiveState::Failed(e)) => format!("live: FAILED: {e}"),
        None => format!("following: {} snapshots", run.times().len()),
    };
}
