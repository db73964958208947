//! Recorders: what a run does with its outputs, one job each (snapshots, gauges, sections,
//! progress, ...), plugged into [`super::run`]. A recorder that keeps data across outputs saves
//! it into each checkpoint and gets it back when the run resumes, so a resumed run records
//! exactly what an uninterrupted one would.

use crate::checkpoint::Checkpoint;
use crate::ledger::MassLedger;
use crate::state::State;

use super::plan::Due;

/// The error a recorder returns; the run stops and hands it back as [`super::RunError`].
pub type RecordError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// One output handed to the recorders.
#[derive(Debug)]
pub struct Output<'a, R> {
    /// Position in the plan the run was given.
    pub index: usize,
    pub time_s: f64,
    pub steps: u64,
    pub state: &'a State<R>,
    pub ledger: MassLedger,
    /// Cumulative volumes through the tracked cross-sections (m^3).
    pub tracked_m3: &'a [f64],
    /// What is due at this output.
    pub due: Due,
}

/// Something a run does at its outputs.
pub trait Recorder<R> {
    /// The key under which the recorder's data is kept in a checkpoint (unique in a run).
    fn name(&self) -> &'static str;
    /// Records one output; `out.due` says what the plan asks for at it.
    fn record(&mut self, out: &Output<'_, R>) -> Result<(), RecordError>;
    /// The data to keep in a checkpoint; `None` when there is nothing to keep.
    fn save(&self) -> Option<serde_json::Value> {
        None
    }
    /// Takes back what [`Recorder::save`] kept, when the run resumes from a checkpoint.
    fn restore(&mut self, saved: serde_json::Value) -> Result<(), RecordError> {
        let _ = saved;
        Ok(())
    }
}

/// Where the checkpoints of a run go (a file written atomically, for the command line).
pub trait CheckpointStore {
    fn store(&mut self, checkpoint: &Checkpoint) -> Result<(), RecordError>;
}

/// A closure as a recorder (for library users and tests).
pub struct FnRecorder<F>(pub F);

impl<F> std::fmt::Debug for FnRecorder<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FnRecorder")
    }
}

impl<R, F> Recorder<R> for FnRecorder<F>
where
    F: FnMut(&Output<'_, R>) -> Result<(), RecordError>,
{
    fn name(&self) -> &'static str {
        "fn"
    }

    fn record(&mut self, out: &Output<'_, R>) -> Result<(), RecordError> {
        (self.0)(out)
    }
}

/// The recorders of a run and where its checkpoints go.
pub struct Recorders<'a, R> {
    list: Vec<&'a mut dyn Recorder<R>>,
    store: Option<&'a mut dyn CheckpointStore>,
}

impl<R> std::fmt::Debug for Recorders<'_, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.list.iter().map(|r| r.name()).collect();
        f.debug_struct("Recorders")
            .field("list", &names)
            .field("checkpoints", &self.store.is_some())
            .finish()
    }
}

impl<R> Default for Recorders<'_, R> {
    fn default() -> Self {
        Self {
            list: Vec::new(),
            store: None,
        }
    }
}

impl<'a, R> Recorders<'a, R> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a recorder; recorders see each output in the order they were added.
    pub fn with(mut self, recorder: &'a mut dyn Recorder<R>) -> Self {
        self.list.push(recorder);
        self
    }

    /// Sends checkpoints (at the outputs the plan marks, and when the run is interrupted) to
    /// `store`; without a store none are taken.
    pub fn checkpoint_to(mut self, store: &'a mut dyn CheckpointStore) -> Self {
        self.store = Some(store);
        self
    }

    pub(crate) fn record(&mut self, out: &Output<'_, R>) -> Result<(), super::RunError> {
        for r in &mut self.list {
            r.record(out).map_err(|source| super::RunError::Recorder {
                recorder: r.name(),
                source,
            })?;
        }
        Ok(())
    }

    /// The recorders' saved data, as the `extra` of a checkpoint: a JSON object by name.
    pub fn save(&self) -> String {
        let map: serde_json::Map<String, serde_json::Value> = self
            .list
            .iter()
            .filter_map(|r| r.save().map(|v| (r.name().to_string(), v)))
            .collect();
        serde_json::Value::Object(map).to_string()
    }

    pub(crate) fn takes_checkpoints(&self) -> bool {
        self.store.is_some()
    }

    /// Takes a checkpoint of `backend` with the recorders' data and stores it (nothing without
    /// a store).
    pub fn checkpoint<B: crate::Backend<Real = R>>(
        &mut self,
        backend: &mut B,
    ) -> Result<(), super::RunError> {
        let extra = self.save();
        let Some(store) = self.store.as_mut() else {
            return Ok(());
        };
        let ckpt = backend.checkpoint(extra)?;
        store
            .store(&ckpt)
            .map_err(|source| super::RunError::Recorder {
                recorder: "checkpoint",
                source,
            })
    }
}

/// Gives each recorder of `list` back what it saved in a checkpoint's `extra` (a JSON object by
/// recorder name, [`Recorders::save`]); recorders with nothing saved are left as they are.
pub fn restore_recorders<R>(
    extra: &str,
    list: &mut [&mut dyn Recorder<R>],
) -> Result<(), super::RunError> {
    let bad = |detail: String| super::RunError::Recorder {
        recorder: "checkpoint",
        source: detail.into(),
    };
    let value: serde_json::Value = serde_json::from_str(extra)
        .map_err(|e| bad(format!("the recorders' data is unreadable: {e}")))?;
    let serde_json::Value::Object(mut map) = value else {
        return Err(bad("the recorders' data is not a JSON object".into()));
    };
    for r in list.iter_mut() {
        if let Some(v) = map.remove(r.name()) {
            r.restore(v).map_err(|source| super::RunError::Recorder {
                recorder: r.name(),
                source,
            })?;
        }
    }
    Ok(())
}
