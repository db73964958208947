//! Snapshots of ensemble runs: extra fields beside a snapshot's own (the spread of the depth
//! over the members, next to the mean state), and every member's fields in one file with a
//! `member` dimension (`h`, `u`, `v`, `eta` as `(time, member, y, x)`), which xarray opens as
//! a 4D dataset.

use std::path::{Path, PathBuf};

use basintwin_core::{Grid, Real, State};
use hdf5::{Dataset, File, Group};
use ndarray::{ArrayView2, s};

use super::{
    Axes, SnapshotMeta, SnapshotWriter, VARIABLES, cf_variable, chunk_2d, create_file, h5err,
    scale_err, set_scale, snapshot_value, str_attr,
};
use crate::error::IoError;

/// A `(time, y, x)` float32 variable on the file's axes.
fn field(
    root: &Group,
    (nx, ny): (usize, usize),
    time: &Dataset,
    (name, units, long): (&str, &str, &str),
    path: &Path,
) -> Result<Dataset, IoError> {
    let x = root.dataset("x").map_err(h5err(path, "opening x"))?;
    let y = root.dataset("y").map_err(h5err(path, "opening y"))?;
    let chunk = (1usize, chunk_2d(nx, ny).0, nx);
    let meta = (name, units, long, None);
    cf_variable(root, (0.., ny, nx), chunk, meta, &[time, &y, &x], path)
}

impl SnapshotWriter {
    /// Adds a `(time, y, x)` field written with [`SnapshotWriter::write_field`] after each
    /// `append`; returns its number.
    pub fn add_field(
        &mut self,
        name: &str,
        units: &str,
        long_name: &str,
    ) -> Result<usize, IoError> {
        let shape = (self.nx, self.ny);
        let ds = field(
            &self.file,
            shape,
            &self.time,
            (name, units, long_name),
            &self.path,
        )?;
        self.fields.push(ds);
        Ok(self.fields.len() - 1)
    }

    /// Opens field `name` of a file opened with [`SnapshotWriter::open_append`] (dropping its
    /// snapshots after the ones kept) to go on writing it; returns its number.
    pub fn reopen_field(&mut self, name: &str) -> Result<usize, IoError> {
        let path = self.path.clone();
        let ds = self.file.dataset(name).map_err(|e| IoError::Invalid {
            path: path.clone(),
            what: format!("no field {name} to continue ({e})"),
        })?;
        ds.resize((self.count, self.ny, self.nx))
            .map_err(h5err(&path, "dropping later snapshots"))?;
        self.fields.push(ds);
        Ok(self.fields.len() - 1)
    }

    /// Writes field `index` (core order, NaN outside the domain) of the last appended snapshot.
    pub fn write_field(&mut self, index: usize, values: &[f32]) -> Result<(), IoError> {
        let (nx, ny, k, path) = (self.nx, self.ny, self.count, self.path.clone());
        let Some(ds) = self.fields.get(index).filter(|_| k > 0) else {
            return Err(IoError::Invalid {
                path,
                what: format!("no field {index} or no snapshot to add it to"),
            });
        };
        let values: Vec<f32> = values
            .iter()
            .zip(&self.bed)
            .map(|(&v, z)| if z.is_nan() { f32::NAN } else { v })
            .collect();
        let view = ArrayView2::from_shape((ny, nx), &values).map_err(|e| IoError::Write {
            path: path.clone(),
            detail: e.to_string(),
        })?;
        ds.resize((k, ny, nx))
            .map_err(h5err(&path, "growing a field"))?;
        ds.write_slice(view, s![k - 1, .., ..])
            .map_err(h5err(&path, "writing a field"))?;
        self.file.flush().map_err(h5err(&path, "flushing"))
    }
}

/// Every member's snapshots in one file: `h`, `u`, `v`, `eta` as `(time, member, y, x)`.
#[derive(Debug)]
pub struct MemberSnapshotWriter {
    path: PathBuf,
    file: File,
    time: Dataset,
    vars: Vec<Dataset>,
    members: usize,
    nx: usize,
    ny: usize,
    bed: Vec<f32>,
    count: usize,
}

impl MemberSnapshotWriter {
    /// Creates `path` for `members` members of a run on `grid`.
    pub fn create(
        path: impl AsRef<Path>,
        grid: &Grid,
        bed_m: &[f64],
        meta: &SnapshotMeta,
        members: usize,
        overwrite: bool,
    ) -> Result<Self, IoError> {
        let path = path.as_ref();
        let (file, axes, bed) = create_file(path, grid, bed_m, meta, overwrite)?;
        let member = member_axis(&file, members, path)?;
        let vars = VARIABLES
            .iter()
            .map(|v| member_variable(&file, grid, &axes, &member, members, *v, path))
            .collect::<Result<Vec<_>, _>>()?;
        file.flush().map_err(h5err(path, "flushing"))?;
        Ok(Self {
            path: path.to_path_buf(),
            file,
            time: axes.time,
            vars,
            members,
            nx: grid.nx,
            ny: grid.ny,
            bed,
            count: 0,
        })
    }

    /// Opens a file written by [`MemberSnapshotWriter::create`] to go on appending (a resumed
    /// run): snapshots after `keep_until_s` are dropped.
    pub fn open_append(
        path: impl AsRef<Path>,
        grid: &Grid,
        bed_m: &[f64],
        members: usize,
        keep_until_s: f64,
    ) -> Result<Self, IoError> {
        let path = path.as_ref();
        let (nx, ny) = (grid.nx, grid.ny);
        let invalid = |what: String| IoError::Invalid {
            path: path.to_path_buf(),
            what,
        };
        let file =
            File::open_rw(path).map_err(|e| invalid(format!("cannot open it to append ({e})")))?;
        let time = file
            .dataset("time")
            .map_err(|e| invalid(format!("no time ({e})")))?;
        let times = time
            .read_raw::<f64>()
            .map_err(|e| invalid(format!("time: {e}")))?;
        let keep = times
            .iter()
            .take_while(|&&t| t <= keep_until_s + 1e-9 * keep_until_s.abs().max(1.0))
            .count();
        let mut vars = Vec::new();
        for (name, ..) in VARIABLES {
            let ds = file
                .dataset(name)
                .map_err(|e| invalid(format!("no {name} ({e})")))?;
            if ds.shape() != [times.len(), members, ny, nx] {
                return Err(invalid(format!(
                    "{name} has shape {:?}; expected ({}, {members}, {ny}, {nx})",
                    ds.shape(),
                    times.len()
                )));
            }
            ds.resize((keep, members, ny, nx))
                .map_err(h5err(path, "dropping later snapshots"))?;
            vars.push(ds);
        }
        time.resize(keep)
            .map_err(h5err(path, "dropping later times"))?;
        file.flush().map_err(h5err(path, "flushing"))?;
        Ok(Self {
            path: path.to_path_buf(),
            file,
            time,
            vars,
            members,
            nx,
            ny,
            bed: bed_m.iter().map(|&z| z as f32).collect(),
            count: keep,
        })
    }

    /// Writes member `member`'s state at `time_s`; member 0 starts a new snapshot.
    pub fn write<R: Real>(
        &mut self,
        time_s: f64,
        member: usize,
        state: &State<R>,
    ) -> Result<(), IoError> {
        let (nx, ny, path) = (self.nx, self.ny, self.path.clone());
        if member >= self.members || state.cells() != nx * ny {
            return Err(IoError::Invalid {
                path,
                what: format!(
                    "member {member} of {} or a state of {} cells",
                    self.members,
                    state.cells()
                ),
            });
        }
        if member == 0 {
            self.count += 1;
            self.time
                .resize(self.count)
                .map_err(h5err(&path, "growing time"))?;
            self.time
                .write_slice(&[time_s], s![self.count - 1..self.count])
                .map_err(h5err(&path, "writing time"))?;
            for v in &self.vars {
                v.resize((self.count, self.members, ny, nx))
                    .map_err(h5err(&path, "growing a variable"))?;
            }
        }
        let k = self.count.saturating_sub(1);
        for (vi, v) in self.vars.iter().enumerate() {
            let values: Vec<f32> = (0..nx * ny)
                .map(|c| snapshot_value(vi, state, &self.bed, c))
                .collect();
            let view = ArrayView2::from_shape((ny, nx), &values).map_err(|e| IoError::Write {
                path: path.clone(),
                detail: e.to_string(),
            })?;
            v.write_slice(view, s![k, member, .., ..])
                .map_err(h5err(&path, "writing a member"))?;
        }
        if member + 1 == self.members {
            self.file.flush().map_err(h5err(&path, "flushing"))?;
        }
        Ok(())
    }
}

/// The `member` coordinate: 0, 1, ... as a dimension scale.
fn member_axis(root: &Group, members: usize, path: &Path) -> Result<Dataset, IoError> {
    let ids: Vec<i32> = (0..members as i32).collect();
    let ds = root
        .new_dataset::<i32>()
        .shape(members)
        .create("member")
        .map_err(h5err(path, "creating member"))?;
    ds.write(&ids).map_err(h5err(path, "writing member"))?;
    str_attr(
        &ds,
        "long_name",
        "ensemble member (0: unperturbed control when the ensemble has one)",
        path,
    )?;
    set_scale(&ds, "member").map_err(scale_err(path))?;
    Ok(ds)
}

fn member_variable(
    root: &Group,
    grid: &Grid,
    axes: &Axes,
    member: &Dataset,
    members: usize,
    meta: (&str, &str, &str, Option<&str>),
    path: &Path,
) -> Result<Dataset, IoError> {
    let (nx, ny) = (grid.nx, grid.ny);
    let (shape, chunk) = (
        (0.., members, ny, nx),
        (1usize, 1usize, chunk_2d(nx, ny).0, nx),
    );
    let scales = [&axes.time, member, &axes.y, &axes.x];
    cf_variable(root, shape, chunk, meta, &scales, path)
}
