//! Snapshots: write -> read equal, NetCDF-4 readers (ncdump, GDAL, xarray) accept the file, a run
//! killed with SIGKILL between snapshots leaves a readable file, and nothing is overwritten by
//! surprise.

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use basintwin_core::{Grid, State};
use basintwin_io::{
    SnapshotMeta, SnapshotReader, SnapshotWriter, Which, read_snapshot, snapshot_times,
};

const UTM31N: &str = r#"PROJCS["WGS 84 / UTM zone 31N",GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4326"]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",3],PARAMETER["scale_factor",0.9996],PARAMETER["false_easting",500000],PARAMETER["false_northing",0],UNIT["metre",1,AUTHORITY["EPSG","9001"]],AXIS["Easting",EAST],AXIS["Northing",NORTH],AUTHORITY["EPSG","32631"]]"#;

/// The tests of this file run one at a time: a child process (the SIGKILL test, ncdump,
/// gdalinfo) inherits the file descriptors open in the parent when it starts, and with them
/// HDF5's lock on any snapshot file another test has open at that moment.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("basintwin-snap-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn grid() -> Grid {
    Grid::georeferenced(7, 5, 10.0, 10.0, 500000.0, 4000000.0, UTM31N.into()).unwrap()
}

fn bed(g: &Grid) -> Vec<f64> {
    let mut b = g.map_centres(|x, y| 0.001 * (x - 500000.0) + 0.002 * (y - 4000000.0));
    b[3] = f64::NAN; // one cell outside the domain
    b
}

fn state(g: &Grid, t: f64) -> State<f64> {
    let h = g.map_centres(|x, _| (0.5 + 0.01 * t - 0.001 * (x - 500000.0)).max(0.0));
    let mut s = State::from_depth(&h);
    for (k, &d) in h.iter().enumerate() {
        s.qx[k] = 0.3 * d;
        s.qy[k] = -0.1 * d;
    }
    s.h[3] = 0.0;
    s.qx[3] = 0.0;
    s.qy[3] = 0.0;
    s
}

fn meta() -> SnapshotMeta {
    SnapshotMeta {
        title: "test run".into(),
        scenario: "tests/snapshot.rs".into(),
        scheme: "fv1".into(),
        backend: "cpu".into(),
        precision: "f64".into(),
        start: Some("2026-06-01T00:00:00Z".into()),
    }
}

fn write_three(path: &Path) {
    let g = grid();
    let mut w = SnapshotWriter::create(path, &g, &bed(&g), &meta(), false).unwrap();
    for t in [0.0, 300.0, 600.0] {
        w.append(t, &state(&g, t)).unwrap();
    }
    assert_eq!(w.len(), 3);
}

#[test]
fn snapshots_read_back_equal() {
    let _serial = serial();
    let d = tmpdir("roundtrip");
    let p = d.join("snapshots.h5");
    write_three(&p);
    assert_eq!(snapshot_times(&p).unwrap(), vec![0.0, 300.0, 600.0]);
    let g = grid();
    for (which, t) in [(Which::At(300.0), 300.0), (Which::Last, 600.0)] {
        let (tt, s) = read_snapshot::<f64>(&p, which).unwrap();
        assert_eq!(tt, t);
        let want = state(&g, t);
        for k in 0..g.cells() {
            assert!(
                (s.h[k] - want.h[k]).abs() <= 1e-6 * (1.0 + want.h[k]),
                "h[{k}]"
            );
            assert!((s.qx[k] - want.qx[k]).abs() <= 1e-6, "qx[{k}]");
            assert!((s.qy[k] - want.qy[k]).abs() <= 1e-6, "qy[{k}]");
        }
        assert_eq!(s.h[3], 0.0, "outside the domain reads back dry");
    }
    let e = read_snapshot::<f32>(&p, Which::At(42.0))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("snapshots.h5") && e.contains("no snapshot at t = 42"),
        "{e}"
    );
}

#[test]
fn reader_gives_coordinates_bed_metadata_and_each_frame() {
    let _serial = serial();
    let d = tmpdir("reader");
    let p = d.join("snapshots.h5");
    write_three(&p);
    let r = SnapshotReader::open(&p).unwrap();
    let g = grid();
    assert_eq!((r.x.len(), r.y.len()), (g.nx, g.ny));
    assert_eq!(r.x[0], g.cell_centre_m(0, 0).0);
    assert_eq!(r.y[4], g.cell_centre_m(0, 4).1);
    assert_eq!(r.times, vec![0.0, 300.0, 600.0]);
    assert_eq!(r.meta, meta());
    let b = bed(&g);
    assert!(r.z[3].is_nan());
    assert!((f64::from(r.z[10]) - b[10]).abs() < 1e-4);
    let f = r.fields(1).unwrap();
    let want = state(&g, 300.0);
    for k in [0, 12, 34] {
        assert!((f64::from(f.h[k]) - want.h[k]).abs() < 1e-6);
        assert!((f64::from(f.u[k]) - 0.3).abs() < 1e-6 || want.h[k] == 0.0);
        assert!((f64::from(f.v[k]) + 0.1).abs() < 1e-6 || want.h[k] == 0.0);
    }
    assert!(
        r.fields(3)
            .unwrap_err()
            .to_string()
            .contains("no snapshot 3")
    );
    let series = r.point_series("h", 2, 5).unwrap();
    for (k, t) in [0.0, 300.0, 600.0].into_iter().enumerate() {
        assert!((f64::from(series[k]) - state(&g, t).h[2 * g.nx + 5]).abs() < 1e-6);
    }
}

#[test]
fn reader_sees_snapshots_appended_after_it_opened() {
    let _serial = serial();
    let d = tmpdir("refresh");
    let p = d.join("snapshots.h5");
    let g = grid();
    let mut w = SnapshotWriter::create(&p, &g, &bed(&g), &meta(), false).unwrap();
    w.append(0.0, &state(&g, 0.0)).unwrap();
    let mut r = SnapshotReader::open(&p).unwrap();
    assert_eq!(r.times, vec![0.0]);
    w.append(300.0, &state(&g, 300.0)).unwrap();
    assert_eq!(r.refresh().unwrap(), 2);
    let f = r.fields(1).unwrap();
    assert!((f64::from(f.h[0]) - state(&g, 300.0).h[0]).abs() < 1e-6);
    drop(w);
}

#[test]
fn reopened_file_drops_later_snapshots_and_appends() {
    let _serial = serial();
    let d = tmpdir("reopen");
    let p = d.join("snapshots.h5");
    write_three(&p);
    let g = grid();
    // Resuming from t = 300 s: the 600 s snapshot belongs to the abandoned continuation.
    let mut w = SnapshotWriter::open_append(&p, &g, &bed(&g), 300.0).unwrap();
    assert_eq!(w.len(), 2);
    w.append(450.0, &state(&g, 450.0)).unwrap();
    drop(w);
    assert_eq!(snapshot_times(&p).unwrap(), vec![0.0, 300.0, 450.0]);
    let (t, s) = read_snapshot::<f64>(&p, Which::Last).unwrap();
    assert_eq!(t, 450.0);
    assert!((s.h[0] - state(&g, 450.0).h[0]).abs() < 1e-6);
    // Another grid does not fit.
    let other = Grid::georeferenced(8, 5, 10.0, 10.0, 500000.0, 4000000.0, UTM31N.into()).unwrap();
    let e = SnapshotWriter::open_append(&p, &other, &vec![0.0; 40], 450.0)
        .unwrap_err()
        .to_string();
    assert!(e.contains("snapshots.h5") && e.contains("expected"), "{e}");
    assert!(SnapshotWriter::open_append(d.join("none.h5"), &g, &bed(&g), 0.0).is_err());
}

#[test]
fn ncdump_reads_the_header_as_netcdf4() {
    let _serial = serial();
    let d = tmpdir("ncdump");
    let p = d.join("snapshots.h5");
    write_three(&p);
    let out = Command::new("ncdump").arg("-h").arg(&p).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "ncdump failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for needle in [
        "time = UNLIMITED ; // (3 currently)",
        "y = 5 ;",
        "x = 7 ;",
        "float h(time, y, x) ;",
        "float eta(time, y, x) ;",
        "float z(y, x) ;",
        "double time(time) ;",
        "time:units = \"seconds since 2026-06-01T00:00:00Z\" ;",
        "h:grid_mapping = \"crs\" ;",
        ":Conventions = \"CF-1.8\" ;",
    ] {
        assert!(text.contains(needle), "missing `{needle}` in\n{text}");
    }
    let kind = Command::new("ncdump").arg("-k").arg(&p).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&kind.stdout).trim(), "netCDF-4");
}

#[test]
fn gdal_reads_a_variable_with_size_and_crs() {
    let _serial = serial();
    let d = tmpdir("gdal");
    let p = d.join("snapshots.h5");
    write_three(&p);
    let out = Command::new("gdalinfo")
        .arg(format!("NETCDF:\"{}\":h", p.display()))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "gdalinfo failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("Size is 7, 5"), "{text}");
    assert!(text.contains("UTM zone 31N"), "{text}");
    assert!(
        text.contains("Origin = (500000.000000000000000,4000050.000000000000000)"),
        "{text}"
    );
}

/// The Python interpreter of the test virtual environment (`make test` creates it).
fn python() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("BASINTWIN_TEST_PYTHON") {
        return Some(PathBuf::from(p));
    }
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv-test/bin/python");
    p.exists().then_some(p)
}

#[test]
fn xarray_opens_selects_by_time_and_gets_the_same_numbers() {
    let _serial = serial();
    let Some(py) = python() else {
        assert!(
            std::env::var_os("BASINTWIN_REQUIRE_PYTHON").is_none(),
            "BASINTWIN_REQUIRE_PYTHON is set but no test Python was found (run `make test`)"
        );
        eprintln!("skipped: no .venv-test (make test creates it)");
        return;
    };
    let d = tmpdir("xarray");
    let p = d.join("snapshots.h5");
    write_three(&p);
    let g = grid();
    let want = state(&g, 300.0);
    // Cell (i=2, j=1): y index 1 (ascending), x index 2.
    let k = g.index(2, 1);
    let script = format!(
        r#"
import sys, numpy as np, xarray as xr
ds = xr.open_dataset(sys.argv[1], engine="h5netcdf")
assert list(ds.h.dims) == ["time", "y", "x"], ds.h.dims
assert ds.sizes["x"] == 7 and ds.sizes["y"] == 5 and ds.sizes["time"] == 3
t = ds.time.values[1]
assert str(t).startswith("2026-06-01T00:05:00"), t
snap = ds.sel(time=t)
h = float(snap.h.isel(y=1, x=2)); u = float(snap.u.isel(y=1, x=2))
assert abs(h - {h}) < 1e-6, (h, {h})
assert abs(u - {u}) < 1e-6, (u, {u})
assert np.isnan(float(snap.h.isel(y=0, x=3))), "outside the domain is NaN"
assert abs(float(ds.x[0]) - 500005.0) < 1e-9 and abs(float(ds.y[0]) - 4000005.0) < 1e-9
assert "UTM zone 31N" in ds.crs.attrs["crs_wkt"]
ds2 = xr.open_dataset(sys.argv[1], engine="netcdf4")
assert float(ds2.h.isel(time=1, y=1, x=2)) == h
print("ok")
"#,
        h = want.h[k],
        u = want.qx[k] / want.h[k],
    );
    let out = Command::new(&py)
        .arg("-c")
        .arg(&script)
        .arg(&p)
        .output()
        .unwrap();
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains("ok"),
        "python check failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Child mode of the kill test: writes snapshots forever, printing after each flush.
#[test]
fn kill_child_writer() {
    let Some(path) = std::env::var_os("BASINTWIN_KILL_TEST_FILE") else {
        return; // only runs as the child of `sigkill_between_snapshots_keeps_the_file`
    };
    let g = grid();
    let mut w = SnapshotWriter::create(&path, &g, &bed(&g), &meta(), false).unwrap();
    for k in 0.. {
        w.append(k as f64 * 60.0, &state(&g, k as f64 * 60.0))
            .unwrap();
        println!("wrote {}", k + 1);
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
}

#[test]
fn sigkill_between_snapshots_keeps_the_file() {
    let _serial = serial();
    let d = tmpdir("kill");
    let p = d.join("snapshots.h5");
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args([
            "--exact",
            "kill_child_writer",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("BASINTWIN_KILL_TEST_FILE", &p)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut written = 0;
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(n) = line.strip_prefix("wrote ") {
            written = n.trim().parse().unwrap();
            if written >= 3 {
                break;
            }
        }
    }
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    assert_eq!(written, 3);
    let times = snapshot_times(&p).unwrap();
    assert!(times.len() >= 3, "{times:?}");
    let (t, s) = read_snapshot::<f32>(&p, Which::At(120.0)).unwrap();
    assert_eq!(t, 120.0);
    let want = state(&grid(), 120.0);
    assert!((f64::from(s.h[0]) - want.h[0]).abs() < 1e-6);
}

#[test]
fn never_overwrites_and_reports_bad_folders() {
    let _serial = serial();
    let d = tmpdir("overwrite");
    let p = d.join("snapshots.h5");
    write_three(&p);
    let g = grid();
    let e = SnapshotWriter::create(&p, &g, &bed(&g), &meta(), false)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("snapshots.h5") && e.contains("already exists"),
        "{e}"
    );
    assert_eq!(
        snapshot_times(&p).unwrap().len(),
        3,
        "the earlier run is intact"
    );
    let w = SnapshotWriter::create(&p, &g, &bed(&g), &meta(), true).unwrap();
    assert!(w.is_empty());
    drop(w);
    assert_eq!(snapshot_times(&p).unwrap().len(), 0);
    let e = SnapshotWriter::create(d.join("no/such/dir/s.h5"), &g, &bed(&g), &meta(), false)
        .unwrap_err()
        .to_string();
    assert!(e.contains("s.h5") && e.contains("does not exist"), "{e}");
    let e = read_snapshot::<f64>(d.join("missing.h5"), Which::Last)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("missing.h5") && e.contains("no such file"),
        "{e}"
    );
    let junk = d.join("junk.h5");
    std::fs::write(&junk, "not hdf5").unwrap();
    let e = read_snapshot::<f64>(&junk, Which::Last)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("junk.h5") && e.contains("not an HDF5 snapshot file"),
        "{e}"
    );
}

#[test]
fn snapshots_are_compressed() {
    let _serial = serial();
    let d = tmpdir("size");
    let p = d.join("snapshots.h5");
    let g = Grid::georeferenced(300, 200, 5.0, 5.0, 500000.0, 4000000.0, UTM31N.into()).unwrap();
    let bed = g.map_centres(|x, y| 0.01 * (x - 500000.0) + 0.002 * (y - 4000000.0));
    // Half the domain dry, a smooth wave in the other half.
    let h = g.map_centres(|x, y| (2.0 - 0.004 * (x - 500000.0) + 0.1 * (y / 37.0).sin()).max(0.0));
    let mut w = SnapshotWriter::create(&p, &g, &bed, &meta(), false).unwrap();
    for t in [0.0, 60.0, 120.0] {
        w.append(t, &State::<f32>::from_depth(&h)).unwrap();
    }
    drop(w);
    let raw = 3 * 4 * g.cells() * 4 + g.cells() * 4;
    let size = std::fs::metadata(&p).unwrap().len() as usize;
    println!(
        "3 snapshots of {} cells: {size} bytes ({:.1} % of raw float32)",
        g.cells(),
        100.0 * size as f64 / raw as f64
    );
    assert!(size < raw / 3, "{size} bytes for {raw} raw");
    let (_, s) = read_snapshot::<f32>(&p, Which::Last).unwrap();
    let k = g.index(17, 123);
    assert_eq!(s.h[k], h[k] as f32);
}

/// A small tmpfs stands in for a full disk (needs root, as CI has; skipped otherwise).
#[test]
fn a_full_disk_is_reported_as_such() {
    let _serial = serial();
    let d = tmpdir("full");
    let mnt = d.join("small");
    std::fs::create_dir_all(&mnt).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=256k", "tmpfs"])
        .arg(&mnt)
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("skipped: cannot mount a tmpfs here (not root?)");
        return;
    }
    let g = Grid::georeferenced(400, 300, 5.0, 5.0, 500000.0, 4000000.0, UTM31N.into()).unwrap();
    let bed = g.map_centres(|x, y| ((x * 0.37).sin() + (y * 0.11).cos()) * 3.0);
    let noisy = g.map_centres(|x, y| 1.0 + 0.5 * ((x * 1.7).sin() * (y * 2.3).cos()));
    let result = (|| -> Result<(), basintwin_io::IoError> {
        let mut w = SnapshotWriter::create(mnt.join("snapshots.h5"), &g, &bed, &meta(), false)?;
        for k in 0..50 {
            w.append(f64::from(k), &State::<f64>::from_depth(&noisy))?;
        }
        Ok(())
    })();
    let map = basintwin_io::write_map(
        mnt.join("max_depth.tif"),
        &g,
        &vec![1.5f32; g.cells()],
        -9999.0,
        true,
    );
    let _ = Command::new("umount").arg(&mnt).status();
    let e = result.unwrap_err().to_string();
    assert!(e.contains("snapshots.h5") && e.contains("disk full"), "{e}");
    // The disk is full now: the map cannot be written either, and no partial file is left.
    let e = map.unwrap_err().to_string();
    println!("{e}");
    assert!(
        e.contains("max_depth.tif") && e.contains("disk full"),
        "{e}"
    );
    assert!(!mnt.join(".max_depth.tif.partial").exists());
}

/// Ensemble snapshots: every member in one file with a `member` dimension, and an extra field
/// (the spread) beside a snapshot's own, both as xarray reads them.
#[test]
fn xarray_reads_the_member_dimension_and_added_fields() {
    let _serial = serial();
    let Some(py) = python() else {
        assert!(
            std::env::var_os("BASINTWIN_REQUIRE_PYTHON").is_none(),
            "BASINTWIN_REQUIRE_PYTHON is set but no test Python was found (run `make test`)"
        );
        eprintln!("skipped: no .venv-test (make test creates it)");
        return;
    };
    let d = tmpdir("members");
    let (g, b) = (grid(), bed(&grid()));
    let members = d.join("snapshots_members.h5");
    let mut w =
        basintwin_io::MemberSnapshotWriter::create(&members, &g, &b, &meta(), 3, false).unwrap();
    for t in [0.0, 300.0] {
        for m in 0..3 {
            w.write(t, m, &state(&g, t + 100.0 * m as f64)).unwrap();
        }
    }
    drop(w);
    let mean = d.join("snapshots.h5");
    let mut s = SnapshotWriter::create(&mean, &g, &b, &meta(), false).unwrap();
    let f = s.add_field("h_sd", "m", "spread").unwrap();
    s.append(0.0, &state(&g, 0.0)).unwrap();
    s.write_field(f, &vec![0.25; g.cells()]).unwrap();
    drop(s);
    let k = g.index(2, 1);
    let script = format!(
        r#"
import sys, numpy as np, xarray as xr
ds = xr.open_dataset(sys.argv[1], engine="h5netcdf")
assert list(ds.h.dims) == ["time", "member", "y", "x"], ds.h.dims
assert list(ds.member.values) == [0, 1, 2] and ds.sizes["time"] == 2
h = float(ds.h.isel(time=1, member=2, y=1, x=2))
assert abs(h - {h}) < 1e-6, (h, {h})
assert np.isnan(float(ds.h.isel(time=0, member=1, y=0, x=3)))
m = xr.open_dataset(sys.argv[2], engine="netcdf4")
assert list(m.h_sd.dims) == ["time", "y", "x"] and float(m.h_sd.isel(time=0, y=1, x=2)) == 0.25
assert np.isnan(float(m.h_sd.isel(time=0, y=0, x=3))), "outside the domain is NaN"
print("ok")
"#,
        h = state(&g, 500.0).h[k],
    );
    let out = Command::new(&py)
        .arg("-c")
        .arg(&script)
        .arg(&members)
        .arg(&mean)
        .output()
        .unwrap();
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains("ok"),
        "python check failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
