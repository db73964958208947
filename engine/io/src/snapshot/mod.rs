//! Snapshots: one HDF5 file per run, laid out so that NetCDF-4 readers (netCDF-C, xarray with
//! h5netcdf or netcdf4, GDAL's netCDF driver, QGIS) open it as CF data.
//!
//! - Dimensions `time` (unlimited), `y`, `x` are HDF5 dimension scales with coordinate values:
//!   cell centres in the DEM's CRS (metres), `y` ascending (south first, as the core stores
//!   rows), `time` in seconds since the run's start, with a CF `units` attribute naming it.
//! - `h`, `u`, `v`, `eta` are float32 `(time, y, x)`, chunked one snapshot at a time (split into
//!   blocks of rows for large grids), shuffled and deflated; NaN outside the domain.
//! - `z` `(y, x)` is written once; `crs` carries `crs_wkt`, `spatial_ref` and `GeoTransform`,
//!   and every gridded variable points at it with `grid_mapping`.
//! - Each snapshot is appended and the file flushed before `append` returns, so a run killed
//!   between snapshots leaves a file holding every snapshot completed.
//!
//! HDF5 dimension scales come from the high-level library (`libhdf5_hl`); the `hdf5` crate does
//! not wrap them, so the two functions needed are declared here.
//!
//! Writing speed: HDF5 runs its filters on one thread, so `append` applies the datasets' own
//! filter pipeline itself (byte shuffle, then zlib at level [`DEFLATE_LEVEL`]) to every chunk of
//! every variable in parallel and hands the compressed chunks to `H5Dwrite_chunk` (HDF5 >=
//! 1.10.3). Readers see ordinary shuffle + deflate chunks.

use std::ffi::{CString, c_char, c_uint};
use std::path::{Path, PathBuf};

use basintwin_core::{Grid, Real, State};
use hdf5::types::VarLenUnicode;
use hdf5::{Dataset, File, Group};
use hdf5_sys::h5i::hid_t;
use ndarray::{ArrayView1, ArrayView2, s};

use crate::error::{IoError, space_hint};

mod ensemble;

pub use ensemble::MemberSnapshotWriter;

#[allow(unsafe_code)]
unsafe extern "C" {
    fn H5DSset_scale(dsid: hid_t, dimname: *const c_char) -> i32;
    fn H5DSattach_scale(did: hid_t, dsid: hid_t, idx: c_uint) -> i32;
}

/// Writes one already-filtered chunk at `offset` (in elements) of `var`.
fn write_raw_chunk(
    var: &Dataset,
    offset: &[u64; 3],
    bytes: &[u8],
    path: &Path,
) -> Result<(), String> {
    let id = var.id();
    // SAFETY: `id` is a valid, open dataset owned by `var`; `offset` has one entry per dimension
    // of the (rank 3) dataset and is aligned to its chunk grid; `bytes` is a live buffer of the
    // stated length holding the chunk after the dataset's filters. HDF5 calls are serialised by
    // the crate's global lock.
    #[allow(unsafe_code)]
    let rc = hdf5::sync::sync(|| unsafe {
        hdf5_sys::h5d::H5Dwrite_chunk(
            id,
            hdf5_sys::h5p::H5P_DEFAULT,
            0,
            offset.as_ptr(),
            bytes.len(),
            bytes.as_ptr().cast(),
        )
    });
    if rc < 0 {
        return Err(format!(
            "H5Dwrite_chunk at {offset:?} failed{}",
            space_hint(path)
        ));
    }
    Ok(())
}

/// The HDF5 shuffle filter followed by the deflate filter, for one chunk of float32.
fn shuffle_deflate(values: &[f32]) -> Vec<u8> {
    use std::io::Write;
    let n = values.len();
    let mut shuffled = vec![0u8; 4 * n];
    for (i, v) in values.iter().enumerate() {
        for (b, byte) in v.to_le_bytes().into_iter().enumerate() {
            shuffled[b * n + i] = byte;
        }
    }
    let mut z = flate2::write::ZlibEncoder::new(
        Vec::with_capacity(n),
        flate2::Compression::new(u32::from(DEFLATE_LEVEL)),
    );
    // Writing into a Vec cannot fail.
    let _ = z.write_all(&shuffled);
    z.finish().unwrap_or_default()
}

/// Marks `scale` as the dimension scale named `name`.
fn set_scale(scale: &Dataset, name: &str) -> Result<(), String> {
    let c = CString::new(name).map_err(|e| e.to_string())?;
    let id = scale.id();
    // SAFETY: `id` is a valid, open dataset identifier owned by `scale`, `c` a NUL-terminated
    // string living across the call; HDF5 calls are serialised by the crate's global lock.
    #[allow(unsafe_code)]
    let rc = hdf5::sync::sync(|| unsafe { H5DSset_scale(id, c.as_ptr()) });
    if rc < 0 {
        return Err(format!("H5DSset_scale({name}) failed"));
    }
    Ok(())
}

/// Attaches dimension scale `scale` to dimension `idx` of `var`.
fn attach_scale(var: &Dataset, scale: &Dataset, idx: u32) -> Result<(), String> {
    let (v, d) = (var.id(), scale.id());
    // SAFETY: both identifiers are valid, open datasets owned by the arguments; HDF5 calls are
    // serialised by the crate's global lock.
    #[allow(unsafe_code)]
    let rc = hdf5::sync::sync(|| unsafe { H5DSattach_scale(v, d, idx) });
    if rc < 0 {
        return Err(format!("H5DSattach_scale(dimension {idx}) failed"));
    }
    Ok(())
}

/// Run-level metadata written as global attributes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SnapshotMeta {
    pub title: String,
    /// The scenario file (or case name) the run came from.
    pub scenario: String,
    pub scheme: String,
    pub backend: String,
    pub precision: String,
    /// ISO 8601 start of the run (e.g. `2026-06-01T00:00:00Z`); times are seconds since it.
    /// Without one, times count from `1970-01-01T00:00:00Z` and the file says so.
    pub start: Option<String>,
}

/// The gridded variables of a snapshot.
const VARIABLES: [(&str, &str, &str, Option<&str>); 4] = [
    ("h", "m", "water depth", None),
    ("u", "m s-1", "depth-averaged eastward (x) velocity", None),
    ("v", "m s-1", "depth-averaged northward (y) velocity", None),
    (
        "eta",
        "m",
        "free-surface elevation",
        Some("water_surface_height_above_reference_datum"),
    ),
];

/// Appends snapshots to one HDF5/NetCDF-4 file.
#[derive(Debug)]
pub struct SnapshotWriter {
    path: PathBuf,
    file: File,
    time: Dataset,
    vars: [Dataset; 4],
    nx: usize,
    ny: usize,
    /// Bed elevation (NaN outside the domain), for `eta`.
    bed: Vec<f32>,
    count: usize,
    /// Fields added with [`SnapshotWriter::add_field`] (ensemble spread).
    fields: Vec<Dataset>,
}

fn h5err(path: &Path, what: &str) -> impl Fn(hdf5::Error) -> IoError {
    let path = path.to_path_buf();
    let what = what.to_string();
    move |e| IoError::Write {
        path: path.clone(),
        detail: format!("{what}{}: {e}", space_hint(&path)),
    }
}

fn str_attr(loc: &hdf5::Location, name: &str, value: &str, path: &Path) -> Result<(), IoError> {
    let v: VarLenUnicode = value.parse().map_err(|e| IoError::Write {
        path: path.to_path_buf(),
        detail: format!("attribute {name}: {e:?}"),
    })?;
    loc.new_attr::<VarLenUnicode>()
        .shape(())
        .create(name)
        .and_then(|a| a.write_scalar(&v))
        .map_err(h5err(path, &format!("writing attribute {name}")))
}

fn coord(group: &Group, name: &str, values: &[f64], path: &Path) -> Result<Dataset, IoError> {
    let ds = group
        .new_dataset::<f64>()
        .shape(values.len())
        .create(name)
        .map_err(h5err(path, &format!("creating coordinate {name}")))?;
    ds.write(ArrayView1::from(values))
        .map_err(h5err(path, &format!("writing coordinate {name}")))?;
    Ok(ds)
}

/// The bed matches the grid, the file may be written and its folder exists.
fn check_target(path: &Path, grid: &Grid, bed_m: &[f64], overwrite: bool) -> Result<(), IoError> {
    let (nx, ny) = (grid.nx, grid.ny);
    if bed_m.len() != grid.cells() {
        return Err(IoError::Invalid {
            path: path.to_path_buf(),
            what: format!("bed has {} values for {nx} x {ny} cells", bed_m.len()),
        });
    }
    if path.exists() && !overwrite {
        return Err(IoError::Exists {
            path: path.to_path_buf(),
        });
    }
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() && !d.is_dir() => Err(IoError::Write {
            path: path.to_path_buf(),
            detail: format!("the folder {} does not exist", d.display()),
        }),
        _ => Ok(()),
    }
}

/// The dimension scales of a snapshot file.
struct Axes {
    x: Dataset,
    y: Dataset,
    time: Dataset,
}

fn scale_err(path: &Path) -> impl Fn(String) -> IoError + '_ {
    move |e| IoError::Write {
        path: path.to_path_buf(),
        detail: e,
    }
}

/// The coordinates x and y (cell centres, CF attributes for a projected or a geographic CRS)
/// and the unlimited time axis, each a dimension scale.
fn create_axes(root: &Group, grid: &Grid, start: &str, path: &Path) -> Result<Axes, IoError> {
    let xs: Vec<f64> = (0..grid.nx).map(|i| grid.cell_centre_m(i, 0).0).collect();
    let ys: Vec<f64> = (0..grid.ny).map(|j| grid.cell_centre_m(0, j).1).collect();
    let x = coord(root, "x", &xs, path)?;
    let y = coord(root, "y", &ys, path)?;
    let time = root
        .new_dataset::<f64>()
        .chunk(1024)
        .shape(0..)
        .create("time")
        .map_err(h5err(path, "creating time"))?;
    let geographic = grid.crs_wkt.starts_with("GEOGCS") || grid.crs_wkt.starts_with("GEOGCRS");
    let (xn, yn, xu) = if geographic {
        ("longitude", "latitude", "degrees")
    } else {
        ("projection_x_coordinate", "projection_y_coordinate", "m")
    };
    for (ds, std, axis, long) in [
        (&x, xn, "X", "x coordinate of cell centre"),
        (&y, yn, "Y", "y coordinate of cell centre"),
    ] {
        str_attr(ds, "standard_name", std, path)?;
        str_attr(ds, "long_name", long, path)?;
        str_attr(ds, "units", xu, path)?;
        str_attr(ds, "axis", axis, path)?;
    }
    str_attr(&time, "standard_name", "time", path)?;
    str_attr(&time, "long_name", "time since the start of the run", path)?;
    str_attr(&time, "units", &format!("seconds since {start}"), path)?;
    str_attr(&time, "calendar", "proleptic_gregorian", path)?;
    str_attr(&time, "axis", "T", path)?;
    set_scale(&x, "x").map_err(scale_err(path))?;
    set_scale(&y, "y").map_err(scale_err(path))?;
    set_scale(&time, "time").map_err(scale_err(path))?;
    Ok(Axes { x, y, time })
}

/// The CF grid mapping: the CRS as WKT and the GDAL GeoTransform.
fn create_crs(root: &Group, grid: &Grid, path: &Path) -> Result<(), IoError> {
    let crs = root
        .new_dataset::<i32>()
        .shape(())
        .create("crs")
        .map_err(h5err(path, "creating crs"))?;
    crs.write_scalar(&0i32)
        .map_err(h5err(path, "writing crs"))?;
    if !grid.crs_wkt.is_empty() {
        str_attr(&crs, "crs_wkt", &grid.crs_wkt, path)?;
        str_attr(&crs, "spatial_ref", &grid.crs_wkt, path)?;
    }
    let y_north = grid.y_south_m + grid.ny as f64 * grid.dy_m;
    let gt = format!(
        "{} {} 0 {} 0 {}",
        grid.x_west_m, grid.dx_m, y_north, -grid.dy_m
    );
    str_attr(&crs, "GeoTransform", &gt, path)?;
    str_attr(&crs, "long_name", "coordinate reference system", path)
}

/// The bed elevation `z`, written once.
fn create_bed(
    root: &Group,
    grid: &Grid,
    bed: &[f32],
    axes: &Axes,
    path: &Path,
) -> Result<(), IoError> {
    let (nx, ny) = (grid.nx, grid.ny);
    let z = root
        .new_dataset::<f32>()
        .shape((ny, nx))
        .chunk(chunk_2d(nx, ny))
        .shuffle()
        .deflate(4)
        .create("z")
        .map_err(h5err(path, "creating z"))?;
    let view = ArrayView2::from_shape((ny, nx), bed).map_err(|e| IoError::Write {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })?;
    z.write(view).map_err(h5err(path, "writing z"))?;
    str_attr(&z, "units", "m", path)?;
    str_attr(&z, "long_name", "bed elevation", path)?;
    str_attr(&z, "standard_name", "surface_altitude", path)?;
    str_attr(&z, "grid_mapping", "crs", path)?;
    nan_fill_attr(&z, path)?;
    attach_scale(&z, &axes.y, 0).map_err(scale_err(path))?;
    attach_scale(&z, &axes.x, 1).map_err(scale_err(path))
}

/// The time-dependent variables (h, u, v, eta), chunked per snapshot and compressed.
fn create_variables(
    root: &Group,
    grid: &Grid,
    axes: &Axes,
    path: &Path,
) -> Result<[Dataset; 4], IoError> {
    let (nx, ny) = (grid.nx, grid.ny);
    let (cy, cx) = chunk_2d(nx, ny);
    let mut vars = Vec::with_capacity(4);
    for meta in VARIABLES {
        let scales = [&axes.time, &axes.y, &axes.x];
        vars.push(cf_variable(
            root,
            (0.., ny, nx),
            (1usize, cy, cx),
            meta,
            &scales,
            path,
        )?);
    }
    vars.try_into().map_err(|_| IoError::Write {
        path: path.to_path_buf(),
        detail: "internal: expected four variables".into(),
    })
}

/// A float32 variable of `shape`, chunked by `chunk`, shuffled and deflated with NaN as fill,
/// with its CF attributes (`meta`: name, units, long name, standard name) and the dimension
/// scales `scales` attached in order.
fn cf_variable(
    root: &Group,
    shape: impl Into<hdf5::Extents>,
    chunk: impl hdf5::Dimension,
    (name, units, long, std): (&str, &str, &str, Option<&str>),
    scales: &[&Dataset],
    path: &Path,
) -> Result<Dataset, IoError> {
    let ds = root
        .new_dataset::<f32>()
        .shape(shape)
        .chunk(chunk)
        .shuffle()
        .deflate(DEFLATE_LEVEL)
        .fill_value(f32::NAN)
        .create(name)
        .map_err(h5err(path, &format!("creating {name}")))?;
    str_attr(&ds, "units", units, path)?;
    str_attr(&ds, "long_name", long, path)?;
    if let Some(std) = std {
        str_attr(&ds, "standard_name", std, path)?;
    }
    str_attr(&ds, "grid_mapping", "crs", path)?;
    nan_fill_attr(&ds, path)?;
    for (k, scale) in scales.iter().enumerate() {
        attach_scale(&ds, scale, k as u32).map_err(scale_err(path))?;
    }
    Ok(ds)
}

/// CF conventions, the run's title, scenario, scheme, backend, precision and start.
fn write_global_attributes(
    root: &Group,
    meta: &SnapshotMeta,
    start: &str,
    path: &Path,
) -> Result<(), IoError> {
    for (k, v) in [
        ("Conventions", "CF-1.8"),
        ("title", meta.title.as_str()),
        ("source", "basintwin shallow-water model"),
        ("scenario", meta.scenario.as_str()),
        ("scheme", meta.scheme.as_str()),
        ("backend", meta.backend.as_str()),
        ("precision", meta.precision.as_str()),
        ("basintwin_version", env!("CARGO_PKG_VERSION")),
        ("start", start),
    ] {
        str_attr(root, k, v, path)?;
    }
    if meta.start.is_none() {
        str_attr(
            root,
            "comment",
            "the run has no start date: times count seconds from the start of the run, labelled as 1970-01-01",
            path,
        )?;
    }
    Ok(())
}

/// A new snapshot file at `path` (refused if one is there, unless `overwrite`) with its axes,
/// CRS, bed and global attributes: what every snapshot file has before its variables.
fn create_file(
    path: &Path,
    grid: &Grid,
    bed_m: &[f64],
    meta: &SnapshotMeta,
    overwrite: bool,
) -> Result<(File, Axes, Vec<f32>), IoError> {
    check_target(path, grid, bed_m, overwrite)?;
    let file = if overwrite {
        File::create(path)
    } else {
        File::create_excl(path)
    }
    .map_err(h5err(path, "creating the file"))?;
    let root: &Group = &file;
    let start = meta
        .start
        .clone()
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into());
    let axes = create_axes(root, grid, &start, path)?;
    create_crs(root, grid, path)?;
    let bed: Vec<f32> = bed_m.iter().map(|&z| z as f32).collect();
    create_bed(root, grid, &bed, &axes, path)?;
    write_global_attributes(root, meta, &start, path)?;
    Ok((file, axes, bed))
}

impl SnapshotWriter {
    /// Creates `path` for a run on `grid` with bed `bed_m` (NaN outside the domain). Refuses
    /// to replace an existing file unless `overwrite`.
    pub fn create(
        path: impl AsRef<Path>,
        grid: &Grid,
        bed_m: &[f64],
        meta: &SnapshotMeta,
        overwrite: bool,
    ) -> Result<Self, IoError> {
        let path = path.as_ref();
        let (nx, ny) = (grid.nx, grid.ny);
        let (file, axes, bed) = create_file(path, grid, bed_m, meta, overwrite)?;
        let vars = create_variables(&file, grid, &axes, path)?;
        file.flush().map_err(h5err(path, "flushing"))?;
        Ok(Self {
            path: path.to_path_buf(),
            file,
            time: axes.time,
            vars,
            nx,
            ny,
            bed,
            count: 0,
            fields: Vec::new(),
        })
    }

    /// Opens an existing snapshot file of a run on `grid` to go on appending to it (resuming a
    /// run). Snapshots later than `keep_until_s` (written after the point the run resumes from)
    /// are dropped, so that the file's times keep increasing.
    pub fn open_append(
        path: impl AsRef<Path>,
        grid: &Grid,
        bed_m: &[f64],
        keep_until_s: f64,
    ) -> Result<Self, IoError> {
        let path = path.as_ref();
        if !path.exists() {
            return Err(IoError::NotFound {
                path: path.to_path_buf(),
            });
        }
        let (nx, ny) = (grid.nx, grid.ny);
        let file = File::open_rw(path).map_err(|e| IoError::Invalid {
            path: path.to_path_buf(),
            what: format!("cannot open the snapshot file for appending ({e})"),
        })?;
        let time = file.dataset("time").map_err(not_snapshots(path, "time"))?;
        let times = time
            .read_raw::<f64>()
            .map_err(not_snapshots(path, "time"))?;
        let mut vars = Vec::with_capacity(4);
        for (name, ..) in VARIABLES {
            let ds = file.dataset(name).map_err(not_snapshots(path, name))?;
            let shape = ds.shape();
            if shape.len() != 3 || shape[1] != ny || shape[2] != nx || shape[0] != times.len() {
                return Err(IoError::Invalid {
                    path: path.to_path_buf(),
                    what: format!(
                        "{name} has shape {shape:?}; expected ({}, {ny}, {nx}) for this model",
                        times.len()
                    ),
                });
            }
            vars.push(ds);
        }
        let keep = times
            .iter()
            .take_while(|&&t| t <= keep_until_s + 1e-9 * keep_until_s.abs().max(1.0))
            .count();
        if keep < times.len() {
            time.resize(keep)
                .map_err(h5err(path, "dropping later times"))?;
            for ds in &vars {
                ds.resize((keep, ny, nx))
                    .map_err(h5err(path, "dropping later snapshots"))?;
            }
            file.flush().map_err(h5err(path, "flushing"))?;
        }
        let vars: [Dataset; 4] = vars.try_into().map_err(|_| IoError::Invalid {
            path: path.to_path_buf(),
            what: "internal: expected four variables".into(),
        })?;
        Ok(Self {
            path: path.to_path_buf(),
            file,
            time,
            vars,
            nx,
            ny,
            bed: bed_m.iter().map(|&z| z as f32).collect(),
            count: keep,
            fields: Vec::new(),
        })
    }

    /// Snapshots written so far.
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends the state at `time_s` and flushes the file. Velocities are zero in dry cells;
    /// every variable is NaN outside the domain (where the bed is NaN).
    pub fn append<R: Real>(&mut self, time_s: f64, state: &State<R>) -> Result<(), IoError> {
        use rayon::prelude::*;
        let path = self.path.clone();
        let (nx, ny) = (self.nx, self.ny);
        let n = nx * ny;
        if state.cells() != n {
            return Err(IoError::Invalid {
                path,
                what: format!("state has {} cells, the file {}", state.cells(), n),
            });
        }
        let k = self.count;
        let (cy, _) = chunk_2d(nx, ny);
        let chunks_per_var = ny.div_ceil(cy);
        let bed = &self.bed;
        // Every chunk of every variable, computed and compressed in parallel. Edge chunks are
        // padded with the fill value to the full chunk size, as HDF5 stores them.
        let compressed: Vec<Vec<u8>> = (0..4 * chunks_per_var)
            .into_par_iter()
            .map(|task| {
                let (vi, c) = (task / chunks_per_var, task % chunks_per_var);
                let mut values = vec![f32::NAN; cy * nx];
                let rows = (c * cy)..((c + 1) * cy).min(ny);
                for (r, j) in rows.enumerate() {
                    for i in 0..nx {
                        values[r * nx + i] = snapshot_value(vi, state, bed, j * nx + i);
                    }
                }
                shuffle_deflate(&values)
            })
            .collect();
        let werr = |e: String| IoError::Write {
            path: path.clone(),
            detail: e,
        };
        self.time
            .resize(k + 1)
            .map_err(h5err(&path, "growing time"))?;
        self.time
            .write_slice(&[time_s], s![k..k + 1])
            .map_err(h5err(&path, "writing time"))?;
        for (vi, var) in self.vars.iter().enumerate() {
            var.resize((k + 1, ny, nx))
                .map_err(h5err(&path, "growing a variable"))?;
            for c in 0..chunks_per_var {
                let offset = [k as u64, (c * cy) as u64, 0];
                write_raw_chunk(var, &offset, &compressed[vi * chunks_per_var + c], &path)
                    .map_err(werr)?;
            }
        }
        self.file.flush().map_err(h5err(&path, "flushing"))?;
        self.count += 1;
        Ok(())
    }
}

/// Value of variable `vi` (h, u, v, eta) at cell `c`: NaN outside the domain, zero velocity in
/// dry cells.
#[inline]
fn snapshot_value<R: Real>(vi: usize, state: &State<R>, bed: &[f32], c: usize) -> f32 {
    const DRY_M: f64 = 1e-6;
    let (h, z) = (state.h[c].f64(), bed[c]);
    if z.is_nan() {
        return f32::NAN;
    }
    match vi {
        0 => h as f32,
        1 if h > DRY_M => (state.qx[c].f64() / h) as f32,
        2 if h > DRY_M => (state.qy[c].f64() / h) as f32,
        3 => (f64::from(z) + h) as f32,
        _ => 0.0,
    }
}

fn nan_fill_attr(ds: &Dataset, path: &Path) -> Result<(), IoError> {
    ds.new_attr::<f32>()
        .shape(())
        .create("_FillValue")
        .and_then(|a| a.write_scalar(&f32::NAN))
        .map_err(h5err(path, "writing _FillValue"))
}

/// Deflate level of the time-dependent variables: level 1 compresses depth fields nearly as well
/// as higher levels (after the byte shuffle, dry areas are runs of zeros) and several times faster.
const DEFLATE_LEVEL: u8 = 1;

/// Chunk of a 2D field: whole rows, at most about 4 MiB of float32.
fn chunk_2d(nx: usize, ny: usize) -> (usize, usize) {
    let rows = ((1 << 20) / nx.max(1)).clamp(1, ny.max(1));
    (rows, nx.max(1))
}

/// Which snapshot to read back.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Which {
    Last,
    /// The snapshot at this time (seconds since the start), within a millisecond.
    At(f64),
}

/// Times (seconds since the start) of the snapshots in a file.
pub fn snapshot_times(path: impl AsRef<Path>) -> Result<Vec<f64>, IoError> {
    let path = path.as_ref();
    let file = open_snapshots(path)?;
    let time = file.dataset("time").map_err(not_snapshots(path, "time"))?;
    time.read_raw::<f64>().map_err(not_snapshots(path, "time"))
}

fn open_snapshots(path: &Path) -> Result<File, IoError> {
    if !path.exists() {
        return Err(IoError::NotFound {
            path: path.to_path_buf(),
        });
    }
    File::open(path).map_err(|e| IoError::Invalid {
        path: path.to_path_buf(),
        what: format!("not an HDF5 snapshot file ({e})"),
    })
}

fn not_snapshots(path: &Path, what: &str) -> impl Fn(hdf5::Error) -> IoError {
    let path = path.to_path_buf();
    let what = what.to_string();
    move |e| IoError::Invalid {
        path: path.clone(),
        what: format!("not a basintwin snapshot file: cannot read {what} ({e})"),
    }
}

/// A snapshot file opened for reading frame by frame (the viewer): coordinates, bed, times and
/// metadata once, then any snapshot's fields on demand.
#[derive(Debug)]
pub struct SnapshotReader {
    path: PathBuf,
    /// Closed while re-opening: HDF5 hands back an already-open file with its cached metadata,
    /// so seeing another process's new snapshots needs a fresh open.
    file: Option<File>,
    /// Cell-centre coordinates (m, the DEM's CRS), `y` ascending.
    pub x: Vec<f64>,
    pub y: Vec<f64>,
    /// Bed elevation `(y, x)` row-major, NaN outside the domain.
    pub z: Vec<f32>,
    pub times: Vec<f64>,
    pub meta: SnapshotMeta,
}

/// The fields of one snapshot, `(y, x)` row-major, NaN outside the domain.
#[derive(Debug, Clone, Default)]
pub struct SnapshotFields {
    pub h: Vec<f32>,
    pub u: Vec<f32>,
    pub v: Vec<f32>,
}

impl SnapshotReader {
    pub fn open(path: impl AsRef<Path>) -> Result<Self, IoError> {
        let path = path.as_ref();
        let file = open_snapshots(path)?;
        let read1 = |name: &str| -> Result<Vec<f64>, IoError> {
            file.dataset(name)
                .and_then(|d| d.read_raw::<f64>())
                .map_err(not_snapshots(path, name))
        };
        let (x, y, times) = (read1("x")?, read1("y")?, read1("time")?);
        let z: Vec<f32> = file
            .dataset("z")
            .and_then(|d| d.read_raw::<f32>())
            .map_err(not_snapshots(path, "z"))?;
        if z.len() != x.len() * y.len() {
            return Err(IoError::Invalid {
                path: path.to_path_buf(),
                what: format!(
                    "z has {} values for {} x {} coordinates",
                    z.len(),
                    x.len(),
                    y.len()
                ),
            });
        }
        let attr = |name: &str| -> String {
            file.attr(name)
                .and_then(|a| a.read_scalar::<VarLenUnicode>())
                .map(|v| v.as_str().to_string())
                .unwrap_or_default()
        };
        let start = attr("start");
        let meta = SnapshotMeta {
            title: attr("title"),
            scenario: attr("scenario"),
            scheme: attr("scheme"),
            backend: attr("backend"),
            precision: attr("precision"),
            // Runs without a start date are labelled 1970 and say so in `comment`.
            start: (!start.is_empty() && file.attr("comment").is_err()).then_some(start),
        };
        Ok(Self {
            path: path.to_path_buf(),
            file: Some(file),
            x,
            y,
            z,
            times,
            meta,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn file(&self) -> Result<&File, IoError> {
        self.file.as_ref().ok_or_else(|| IoError::Invalid {
            path: self.path.clone(),
            what: "the file could not be re-opened".into(),
        })
    }

    /// Re-reads the times (another process may have appended snapshots); returns how many
    /// there are now.
    pub fn refresh(&mut self) -> Result<usize, IoError> {
        self.file = None;
        let file = open_snapshots(&self.path)?;
        let times = file
            .dataset("time")
            .and_then(|d| d.read_raw::<f64>())
            .map_err(not_snapshots(&self.path, "time"))?;
        self.file = Some(file);
        self.times = times;
        Ok(self.times.len())
    }

    /// One variable (`h`, `u`, `v` or `eta`) at cell `(row, col)` over all snapshots.
    pub fn point_series(&self, name: &str, row: usize, col: usize) -> Result<Vec<f32>, IoError> {
        let path = &self.path;
        let ds = self
            .file()?
            .dataset(name)
            .map_err(not_snapshots(path, name))?;
        let n = self.times.len();
        let a: ndarray::Array1<f32> = ds
            .read_slice(s![..n, row, col])
            .map_err(not_snapshots(path, name))?;
        Ok(a.to_vec())
    }

    /// The fields of snapshot `k`.
    pub fn fields(&self, k: usize) -> Result<SnapshotFields, IoError> {
        let path = &self.path;
        if k >= self.times.len() {
            return Err(IoError::Invalid {
                path: path.clone(),
                what: format!("no snapshot {k}: the file has {}", self.times.len()),
            });
        }
        let read = |name: &str| -> Result<Vec<f32>, IoError> {
            let ds = self
                .file()?
                .dataset(name)
                .map_err(not_snapshots(path, name))?;
            let a: ndarray::Array2<f32> = ds
                .read_slice(s![k, .., ..])
                .map_err(not_snapshots(path, name))?;
            Ok(a.iter().copied().collect())
        };
        Ok(SnapshotFields {
            h: read("h")?,
            u: read("u")?,
            v: read("v")?,
        })
    }
}

/// Reads a snapshot back as a core state (for hot start / restart): depth, and discharges
/// `h u`, `h v`; cells outside the domain are dry. Returns the snapshot's time too.
pub fn read_snapshot<R: Real>(
    path: impl AsRef<Path>,
    which: Which,
) -> Result<(f64, State<R>), IoError> {
    let path = path.as_ref();
    let file = open_snapshots(path)?;
    let time = file.dataset("time").map_err(not_snapshots(path, "time"))?;
    let times = time
        .read_raw::<f64>()
        .map_err(not_snapshots(path, "time"))?;
    let k = match which {
        Which::Last => times.len().checked_sub(1),
        Which::At(t) => times.iter().position(|&s| (s - t).abs() <= 1e-3),
    };
    let Some(k) = k else {
        return Err(IoError::Invalid {
            path: path.to_path_buf(),
            what: match which {
                Which::Last => "the file holds no snapshot yet".into(),
                Which::At(t) => format!(
                    "no snapshot at t = {t} s (the file has {} snapshots, at {:?} s)",
                    times.len(),
                    &times[..times.len().min(12)]
                ),
            },
        });
    };
    let read = |name: &str| -> Result<Vec<f32>, IoError> {
        let ds = file.dataset(name).map_err(not_snapshots(path, name))?;
        let a: ndarray::Array2<f32> = ds
            .read_slice(s![k, .., ..])
            .map_err(not_snapshots(path, name))?;
        Ok(a.iter().copied().collect())
    };
    let (h, u, v) = (read("h")?, read("u")?, read("v")?);
    let fin = |x: f32| if x.is_finite() { f64::from(x) } else { 0.0 };
    let mut state = State::<R>::dry(h.len());
    for c in 0..h.len() {
        let d = fin(h[c]).max(0.0);
        state.h[c] = R::c(d);
        state.qx[c] = R::c(d * fin(u[c]));
        state.qy[c] = R::c(d * fin(v[c]));
    }
    Ok((times[k], state))
}
