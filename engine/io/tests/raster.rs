//! Terrain in, maps out: DEMs made here with GDAL, read into the core grid, written back as
//! Cloud-Optimized GeoTIFF, and every error a user can cause.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use basintwin_io::{DemOptions, IoError, raster_info, read_dem, write_map};
use gdal::raster::{Buffer, GdalType};
use gdal::spatial_ref::SpatialRef;
use gdal::{Dataset, DriverManager, Metadata};

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("basintwin-io-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Writes a single-band GeoTIFF; `rows` are north-up.
fn geotiff<T: GdalType + Copy>(
    path: &Path,
    gt: [f64; 6],
    epsg: Option<u32>,
    nodata: Option<f64>,
    (nx, ny): (usize, usize),
    rows: Vec<T>,
) {
    let drv = DriverManager::get_driver_by_name("GTiff").unwrap();
    let mut ds = drv.create_with_band_type::<T, _>(path, nx, ny, 1).unwrap();
    ds.set_geo_transform(&gt).unwrap();
    if let Some(code) = epsg {
        ds.set_spatial_ref(&SpatialRef::from_epsg(code).unwrap())
            .unwrap();
    }
    let mut band = ds.rasterband(1).unwrap();
    band.set_no_data_value(nodata).unwrap();
    let mut buf = Buffer::new((nx, ny), rows);
    band.write((0, 0), (nx, ny), &mut buf).unwrap();
}

fn message(e: IoError) -> String {
    e.to_string()
}

#[test]
fn dem_round_trips_cell_for_cell_with_nodata_and_any_band_type() {
    let d = tmpdir("roundtrip");
    let dem = d.join("dem.tif");
    // 5 x 4 Int16 raster in UTM 14N, 10 m cells, north-west corner at (600000, 3600040).
    let (nx, ny) = (5, 4);
    let mut rows: Vec<i16> = (0..nx * ny).map(|k| 100 + k as i16).collect();
    rows[7] = -32768; // nodata at raster row 1, column 2
    geotiff(
        &dem,
        [600000.0, 10.0, 0.0, 3600040.0, 0.0, -10.0],
        Some(32614),
        Some(-32768.0),
        (nx, ny),
        rows.clone(),
    );
    let got = read_dem(&dem, &DemOptions::default()).unwrap();
    let g = &got.grid;
    assert_eq!((g.nx, g.ny, g.dx_m, g.dy_m), (5, 4, 10.0, 10.0));
    assert_eq!((g.x_west_m, g.y_south_m), (600000.0, 3600000.0));
    assert!(g.crs_wkt.contains("UTM zone 14N"), "{}", g.crs_wkt);
    for r in 0..ny {
        for i in 0..nx {
            let k_core = (ny - 1 - r) * nx + i;
            let v = rows[r * nx + i];
            if v == -32768 {
                assert!(!got.active[k_core] && got.bed_m[k_core].is_nan());
            } else {
                assert_eq!(got.bed_m[k_core], f64::from(v));
                assert!(got.active[k_core]);
            }
        }
    }
    assert_eq!(got.reprojected_from, None);
    // The south-west cell centre maps back to raster row 3, column 0.
    assert_eq!(got.grid.cell_at(600005.0, 3600005.0), Some((0, 0)));
    assert_eq!(got.bed_m[0], f64::from(rows[3 * nx]));

    // Out again as a COG: equal to the cell, same georeferencing, nodata kept.
    let map = d.join("bed.tif");
    let vals: Vec<f32> = got.bed_m.iter().map(|&v| v as f32).collect();
    write_map(&map, &got.grid, &vals, -9999.0, false).unwrap();
    let back = read_dem(&map, &DemOptions::default()).unwrap();
    let (a, b) = (&back.grid, &got.grid);
    assert_eq!(
        (a.nx, a.ny, a.dx_m, a.dy_m, a.x_west_m, a.y_south_m),
        (b.nx, b.ny, b.dx_m, b.dy_m, b.x_west_m, b.y_south_m)
    );
    assert!(a.crs_wkt.contains("UTM zone 14N"));
    for (a, b) in back.bed_m.iter().zip(&got.bed_m) {
        assert!(a == b || (a.is_nan() && b.is_nan()), "{a} vs {b}");
    }
    let ds = Dataset::open(&map).unwrap();
    assert_eq!(ds.driver().short_name(), "GTiff");
    let layout = ds.metadata_item("LAYOUT", "IMAGE_STRUCTURE");
    assert_eq!(
        layout.as_deref(),
        Some("COG"),
        "written as a Cloud-Optimized GeoTIFF"
    );
    assert_eq!(ds.rasterband(1).unwrap().no_data_value(), Some(-9999.0));
}

#[test]
fn gdalinfo_reads_the_map_with_its_size_and_crs() {
    let d = tmpdir("gdalinfo");
    let dem = d.join("dem.tif");
    geotiff(
        &dem,
        [500000.0, 2.0, 0.0, 4000020.0, 0.0, -2.0],
        Some(32633),
        None,
        (8, 10),
        vec![1.5f32; 80],
    );
    let got = read_dem(&dem, &DemOptions::default()).unwrap();
    let map = d.join("max_depth.tif");
    write_map(&map, &got.grid, &vec![0.25f32; 80], -9999.0, false).unwrap();
    let out = std::process::Command::new("gdalinfo")
        .arg(&map)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("Size is 8, 10"), "{text}");
    assert!(text.contains("UTM zone 33N"), "{text}");
    assert!(text.contains("NoData Value=-9999"), "{text}");
}

#[test]
fn crop_and_coarsen() {
    let d = tmpdir("crop");
    let dem = d.join("dem.tif");
    let (nx, ny) = (6, 5);
    // value = 10 * raster_row + column
    let rows: Vec<f32> = (0..ny)
        .flat_map(|r| (0..nx).map(move |c| (10 * r + c) as f32))
        .collect();
    geotiff(
        &dem,
        [0.0, 1.0, 0.0, 5.0, 0.0, -1.0],
        Some(32631),
        None,
        (nx, ny),
        rows,
    );
    // Crop to cell centres with 1 <= x < 4 and 1 < y <= 3.4: columns 1..=3, raster rows 2..=3.
    let c = read_dem(
        &dem,
        &DemOptions {
            crop: Some([1.0, 1.0, 4.0, 3.4]),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(
        (c.grid.nx, c.grid.ny, c.grid.x_west_m, c.grid.y_south_m),
        (3, 2, 1.0, 1.0)
    );
    assert_eq!(c.bed_m, vec![31.0, 32.0, 33.0, 21.0, 22.0, 23.0]);
    // Coarsen by 2: blocks aligned to the north-west corner; the partial row of blocks at the
    // south edge is dropped, so every coarse cell lies inside the raster.
    let k = read_dem(
        &dem,
        &DemOptions {
            coarsen: Some(2),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!((k.grid.nx, k.grid.ny, k.grid.dx_m), (3, 2, 2.0));
    assert_eq!(k.grid.y_south_m, 1.0); // raster row 4 (y 0..1) is dropped
    // North-west block: rows 0-1, columns 0-1 -> mean(0, 1, 10, 11) = 5.5 (core top row).
    assert_eq!(k.bed_m[3], 5.5);
    // South-east block: rows 2-3, columns 4-5 -> mean(24, 25, 34, 35) = 29.5.
    assert_eq!(k.bed_m[2], 29.5);
    let e = read_dem(
        &dem,
        &DemOptions {
            coarsen: Some(6),
            ..Default::default()
        },
    );
    assert!(message(e.unwrap_err()).contains("larger than the raster"));
    let e = read_dem(
        &dem,
        &DemOptions {
            crop: Some([100.0, 100.0, 200.0, 200.0]),
            ..Default::default()
        },
    );
    assert!(message(e.unwrap_err()).contains("does not overlap"));
    let e = read_dem(
        &dem,
        &DemOptions {
            crop: Some([3.0, 1.0, 1.0, 4.0]),
            ..Default::default()
        },
    );
    assert!(message(e.unwrap_err()).contains("expected xmin < xmax"));
}

#[test]
fn geographic_dem_is_reprojected_to_utm_never_used_as_metres() {
    let d = tmpdir("geo");
    let dem = d.join("dem_wgs84.tif");
    // 1 arc-second-ish cells near Fort Worth (lon -97.3, lat 32.75): UTM zone 14N.
    let (nx, ny, cell) = (40, 30, 1.0 / 3600.0);
    let rows: Vec<f32> = (0..nx * ny)
        .map(|k| 180.0 + (k % nx) as f32 * 0.5)
        .collect();
    geotiff(
        &dem,
        [-97.3, cell, 0.0, 32.75, 0.0, -cell],
        Some(4326),
        Some(-9999.0),
        (nx, ny),
        rows,
    );
    let got = read_dem(&dem, &DemOptions::default()).unwrap();
    assert!(
        got.grid.crs_wkt.contains("UTM zone 14N"),
        "{}",
        got.grid.crs_wkt
    );
    assert!(
        got.reprojected_from
            .as_deref()
            .unwrap_or("")
            .contains("WGS 84")
    );
    // One arc-second is ~30.9 m north-south and ~26 m east-west here: square cells in between.
    assert!(
        (25.0..31.0).contains(&got.grid.dx_m),
        "cell {} m",
        got.grid.dx_m
    );
    assert_eq!(got.grid.dx_m, got.grid.dy_m);
    assert!(
        (600_000.0..700_000.0).contains(&got.grid.x_west_m),
        "{}",
        got.grid.x_west_m
    );
    // Bilinear values stay within the source range.
    for (&v, &a) in got.bed_m.iter().zip(&got.active) {
        if a {
            assert!((179.99..200.01).contains(&v), "{v}");
        }
    }
    assert!(
        got.nodata_share() < 0.35,
        "nodata share {}",
        got.nodata_share()
    );
    // A CRS the user names wins.
    let named = read_dem(
        &dem,
        &DemOptions {
            target_crs: Some("EPSG:3857".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(
        named.grid.crs_wkt.contains("Pseudo-Mercator"),
        "{}",
        named.grid.crs_wkt
    );
}

#[test]
fn real_dem_from_the_validation_set_when_present() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/validation/real-dem-pysheds-fortworth/dem.tif");
    if !path.exists() {
        eprintln!("skipped: {} is not on this machine", path.display());
        return;
    }
    let info = raster_info(&path).unwrap();
    assert!(info.geographic);
    let got = read_dem(&path, &DemOptions::default()).unwrap();
    assert!(got.grid.crs_wkt.contains("UTM zone 14N"));
    let (lo, hi) = info.value_range.unwrap();
    let valid: Vec<f64> = got
        .bed_m
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    assert!(!valid.is_empty());
    assert!(valid.iter().all(|&v| v >= lo - 1e-6 && v <= hi + 1e-6));
    println!(
        "{info}\n-> {} x {} cells of {:.2} m in UTM 14N",
        got.grid.nx, got.grid.ny, got.grid.dx_m
    );
}

#[test]
fn errors_name_the_file_and_the_problem() {
    let d = tmpdir("errors");
    // Missing file.
    let e = message(read_dem(d.join("nope.tif"), &DemOptions::default()).unwrap_err());
    assert!(e.contains("nope.tif") && e.contains("no such file"), "{e}");
    // Not a raster.
    let txt = d.join("notes.tif");
    std::fs::write(&txt, "this is not a raster").unwrap();
    let e = message(read_dem(&txt, &DemOptions::default()).unwrap_err());
    assert!(e.contains("notes.tif") && e.contains("not a raster"), "{e}");
    // All nodata.
    let empty = d.join("all_nodata.tif");
    geotiff(
        &empty,
        [0.0, 1.0, 0.0, 3.0, 0.0, -1.0],
        Some(32631),
        Some(-1.0),
        (3, 3),
        vec![-1.0f32; 9],
    );
    let e = message(read_dem(&empty, &DemOptions::default()).unwrap_err());
    assert!(
        e.contains("all_nodata.tif") && e.contains("every cell of band 1 is nodata"),
        "{e}"
    );
    // No CRS, then with one assumed.
    let nocrs = d.join("no_crs.tif");
    geotiff(
        &nocrs,
        [0.0, 1.0, 0.0, 3.0, 0.0, -1.0],
        None,
        None,
        (3, 3),
        vec![1.0f32; 9],
    );
    let e = message(read_dem(&nocrs, &DemOptions::default()).unwrap_err());
    assert!(
        e.contains("no_crs.tif") && e.contains("has no CRS") && e.contains("assume_crs"),
        "{e}"
    );
    let ok = read_dem(
        &nocrs,
        &DemOptions {
            assume_crs: Some("EPSG:32631".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(ok.grid.crs_wkt.contains("UTM zone 31N"));
    let e = message(
        read_dem(
            &nocrs,
            &DemOptions {
                assume_crs: Some("EPSG:nonsense".into()),
                ..Default::default()
            },
        )
        .unwrap_err(),
    );
    assert!(e.contains("assume_crs 'EPSG:nonsense'"), "{e}");
    // Rotated grid.
    let rot = d.join("rotated.tif");
    geotiff(
        &rot,
        [0.0, 1.0, 0.2, 3.0, 0.1, -1.0],
        Some(32631),
        None,
        (3, 3),
        vec![1.0f32; 9],
    );
    let e = message(read_dem(&rot, &DemOptions::default()).unwrap_err());
    assert!(e.contains("rotated.tif") && e.contains("rotated"), "{e}");
    // Zero coarsening.
    let e = message(
        read_dem(
            &nocrs,
            &DemOptions {
                coarsen: Some(0),
                assume_crs: Some("EPSG:32631".into()),
                ..Default::default()
            },
        )
        .unwrap_err(),
    );
    assert!(e.contains("coarsen = 0"), "{e}");
}

#[test]
fn maps_are_not_overwritten_by_surprise_and_bad_folders_are_reported() {
    let d = tmpdir("write");
    let dem = d.join("dem.tif");
    geotiff(
        &dem,
        [0.0, 1.0, 0.0, 2.0, 0.0, -1.0],
        Some(32631),
        None,
        (2, 2),
        vec![1.0f32; 4],
    );
    let g = read_dem(&dem, &DemOptions::default()).unwrap().grid;
    let map = d.join("hazard.tif");
    write_map(&map, &g, &[1.0, 2.0, 3.0, 4.0], -9999.0, false).unwrap();
    let before = std::fs::read(&map).unwrap();
    let e = message(write_map(&map, &g, &[9.0; 4], -9999.0, false).unwrap_err());
    assert!(
        e.contains("hazard.tif") && e.contains("already exists"),
        "{e}"
    );
    assert_eq!(
        std::fs::read(&map).unwrap(),
        before,
        "the first map is untouched"
    );
    write_map(&map, &g, &[9.0; 4], -9999.0, true).unwrap();
    assert_ne!(std::fs::read(&map).unwrap(), before);
    let e =
        message(write_map(d.join("missing/dir/x.tif"), &g, &[1.0; 4], -9999.0, false).unwrap_err());
    assert!(e.contains("x.tif") && e.contains("does not exist"), "{e}");
    let e = message(write_map(d.join("short.tif"), &g, &[1.0; 3], -9999.0, false).unwrap_err());
    assert!(e.contains("3 values for a grid of 2 x 2"), "{e}");
    // A read-only file system (root ignores folder permissions, but not a read-only mount).
    let ro = d.join("ro");
    std::fs::create_dir_all(&ro).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "ro,size=64k", "tmpfs"])
        .arg(&ro)
        .status()
        .is_ok_and(|s| s.success());
    if mounted {
        let r = write_map(ro.join("m.tif"), &g, &[1.0; 4], -9999.0, false);
        let _ = std::process::Command::new("umount").arg(&ro).status();
        let e = message(r.unwrap_err());
        assert!(e.contains("m.tif") && e.contains("cannot write"), "{e}");
    } else {
        eprintln!("skipped the read-only folder: cannot mount a tmpfs here (not root?)");
    }
}

#[test]
fn info_reports_size_extent_crs_nodata_and_range() {
    let d = tmpdir("info");
    let p = d.join("dem.tif");
    let mut rows = vec![5.0f32; 12];
    rows[0] = -9999.0;
    rows[5] = 12.5;
    geotiff(
        &p,
        [100.0, 5.0, 0.0, 215.0, 0.0, -5.0],
        Some(32631),
        Some(-9999.0),
        (4, 3),
        rows,
    );
    let info = raster_info(&p).unwrap();
    assert_eq!((info.nx, info.ny, info.cell_size), (4, 3, (5.0, 5.0)));
    assert_eq!(info.extent, [100.0, 200.0, 120.0, 215.0]);
    assert_eq!(info.value_range, Some((5.0, 12.5)));
    assert!((info.nodata_share - 1.0 / 12.0).abs() < 1e-12);
    assert!(info.to_string().contains("UTM zone 31N"));
}

#[test]
fn flood_maps_of_a_real_run() {
    use basintwin_core::{Backend, CpuBackend, Manning, Maxima, Scheme, SolverConfig, State};
    let d = tmpdir("flood");
    let dem = d.join("dem.tif");
    // A 30 x 10 sloping channel, 5 m cells, one nodata cell.
    let (nx, ny) = (30, 10);
    let mut rows: Vec<f32> = (0..nx * ny)
        .map(|k| 10.0 - 0.05 * (k % nx) as f32)
        .collect();
    rows[15] = -9999.0;
    geotiff(
        &dem,
        [0.0, 5.0, 0.0, 50.0, 0.0, -5.0],
        Some(32631),
        Some(-9999.0),
        (nx, ny),
        rows,
    );
    let got = read_dem(&dem, &DemOptions::default()).unwrap();
    let terrain = got.terrain(Manning::Uniform(0.03)).unwrap();
    let depth = got
        .grid
        .map_centres(|x, _| if x < 25.0 { 1.0 } else { 0.0 });
    let mut b = CpuBackend::<f32>::new(
        got.grid.clone(),
        &terrain,
        State::from_depth(&depth),
        SolverConfig::new(Scheme::Fv1),
        None,
    )
    .unwrap();
    b.advance_to(20.0).unwrap();
    let mut m = Maxima::new(got.grid.cells());
    b.read_maxima(&mut m).unwrap();
    let paths = basintwin_io::write_flood_maps(&d, &got.grid, &got.active, &m, false).unwrap();
    assert_eq!(paths.len(), 4);
    let depth_map = read_dem(&paths[0], &DemOptions::default()).unwrap();
    let arrival = read_dem(&paths[3], &DemOptions::default()).unwrap();
    for k in 0..got.grid.cells() {
        if !got.active[k] {
            assert!(!depth_map.active[k] && !arrival.active[k]);
            continue;
        }
        assert_eq!(depth_map.bed_m[k], f64::from(m.depth_m[k]));
        // Reached cells carry their arrival time; the rest are nodata.
        assert_eq!(arrival.active[k], !m.arrival_s[k].is_nan());
    }
    let reached = arrival.active.iter().filter(|a| **a).count();
    assert!(
        reached > 50 && reached < got.grid.cells() - 1,
        "{reached} cells reached"
    );
    let e = basintwin_io::write_flood_maps(&d, &got.grid, &got.active, &m, false).unwrap_err();
    assert!(e.to_string().contains("max_depth.tif") && e.to_string().contains("already exists"));
}

#[test]
fn parameter_rasters_are_brought_onto_the_dem_grid() {
    use basintwin_io::{Resample, read_aligned};
    let d = tmpdir("aligned");
    let dem = d.join("dem.tif");
    // DEM: 8 x 6 cells of 10 m in UTM 31N.
    geotiff(
        &dem,
        [500000.0, 10.0, 0.0, 4000060.0, 0.0, -10.0],
        Some(32631),
        None,
        (8, 6),
        vec![5.0f32; 48],
    );
    let g = read_dem(&dem, &DemOptions::default()).unwrap().grid;
    // Same grid: read as is (value = 100 * raster row + column).
    let same = d.join("same.tif");
    let rows: Vec<f32> = (0..6)
        .flat_map(|r| (0..8).map(move |c| (100 * r + c) as f32))
        .collect();
    geotiff(
        &same,
        [500000.0, 10.0, 0.0, 4000060.0, 0.0, -10.0],
        Some(32631),
        None,
        (8, 6),
        rows,
    );
    let v = read_aligned(&same, &g, Resample::Nearest, "Manning").unwrap();
    assert_eq!(v[0], 500.0); // south-west cell = raster row 5, column 0
    assert_eq!(v[g.index(7, 5)], 7.0); // north-east cell = raster row 0, column 7
    // Coarser land-use-like raster (20 m cells), nearest: each value covers 2 x 2 DEM cells.
    let coarse = d.join("coarse.tif");
    let rows: Vec<f32> = (0..3)
        .flat_map(|r| (0..4).map(move |c| (10 * r + c) as f32))
        .collect();
    geotiff(
        &coarse,
        [500000.0, 20.0, 0.0, 4000060.0, 0.0, -20.0],
        Some(32631),
        None,
        (4, 3),
        rows,
    );
    let v = read_aligned(&coarse, &g, Resample::Nearest, "Manning").unwrap();
    for j in 0..6 {
        for i in 0..8 {
            let want = (10 * ((5 - j) / 2) + i / 2) as f64;
            assert_eq!(v[g.index(i, j)], want, "cell ({i}, {j})");
        }
    }
    // Finer raster (5 m cells), average: each DEM cell is the mean of its 2 x 2 sub-cells.
    let fine = d.join("fine.tif");
    let rows: Vec<f32> = (0..12)
        .flat_map(|r| (0..16).map(move |c| (r + c) as f32))
        .collect();
    geotiff(
        &fine,
        [500000.0, 5.0, 0.0, 4000060.0, 0.0, -5.0],
        Some(32631),
        None,
        (16, 12),
        rows,
    );
    let v = read_aligned(&fine, &g, Resample::Average, "initial depth").unwrap();
    for j in 0..6 {
        for i in 0..8 {
            let r = 2 * (5 - j);
            let want = ((r + 2 * i) + (r + 2 * i + 1) + (r + 1 + 2 * i) + (r + 1 + 2 * i + 1))
                as f64
                / 4.0;
            assert!(
                (v[g.index(i, j)] - want).abs() < 1e-9,
                "cell ({i}, {j}): {} vs {want}",
                v[g.index(i, j)]
            );
        }
    }
    // Another CRS (WGS 84 degrees around the DEM), bilinear: values within the source range.
    let geo = d.join("geo.tif");
    let (nx, ny, cell) = (60, 60, 0.00005);
    let rows: Vec<f32> = (0..nx * ny).map(|k| 1.0 + (k % nx) as f32 * 0.01).collect();
    geotiff(
        &geo,
        [2.998, cell, 0.0, 36.1455, 0.0, -cell],
        Some(4326),
        Some(-9999.0),
        (nx, ny),
        rows,
    );
    let v = read_aligned(&geo, &g, Resample::Bilinear, "initial level").unwrap();
    let covered: Vec<f64> = v.iter().copied().filter(|x| !x.is_nan()).collect();
    assert!(!covered.is_empty());
    assert!(
        covered.iter().all(|&x| (0.999..=1.601).contains(&x)),
        "{covered:?}"
    );
    // No overlap: a clear error naming the raster.
    let far = d.join("far.tif");
    geotiff(
        &far,
        [700000.0, 10.0, 0.0, 4500000.0, 0.0, -10.0],
        Some(32631),
        None,
        (4, 4),
        vec![1.0f32; 16],
    );
    let e = message(read_aligned(&far, &g, Resample::Nearest, "Manning").unwrap_err());
    assert!(
        e.contains("far.tif") && e.contains("Manning raster") && e.contains("does not overlap"),
        "{e}"
    );
    assert!(
        "median"
            .parse::<Resample>()
            .unwrap_err()
            .contains("expected nearest")
    );
}

#[test]
fn esri_ascii_grid_and_vrt_dems_read_like_geotiff() {
    let d = tmpdir("formats");
    let tif = d.join("dem.tif");
    let rows: Vec<f32> = (0..20).map(|k| 50.0 + k as f32).collect();
    geotiff(
        &tif,
        [300000.0, 25.0, 0.0, 5000100.0, 0.0, -25.0],
        Some(32632),
        Some(-9999.0),
        (5, 4),
        rows,
    );
    let reference = read_dem(&tif, &DemOptions::default()).unwrap();
    // ESRI ASCII grid (AAIGrid), with a .prj side-car written by GDAL.
    let asc = d.join("dem.asc");
    let src = Dataset::open(&tif).unwrap();
    let drv = DriverManager::get_driver_by_name("AAIGrid").unwrap();
    src.create_copy(&drv, &asc, &gdal::raster::RasterCreationOptions::default())
        .unwrap();
    let a = read_dem(&asc, &DemOptions::default()).unwrap();
    assert_eq!(a.bed_m, reference.bed_m);
    assert_eq!(
        (
            a.grid.nx,
            a.grid.ny,
            a.grid.dx_m,
            a.grid.x_west_m,
            a.grid.y_south_m
        ),
        (5, 4, 25.0, 300000.0, 5000000.0)
    );
    // A VRT pointing at the GeoTIFF.
    let vrt = d.join("dem.vrt");
    let v = gdal::programs::raster::build_vrt(Some(&vrt), &[src], None).unwrap();
    drop(v);
    let b = read_dem(&vrt, &DemOptions::default()).unwrap();
    assert_eq!(b.bed_m, reference.bed_m);
    assert!(b.grid.crs_wkt.contains("UTM zone 32N"));
}
