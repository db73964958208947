//! Rasters in and out through GDAL: the DEM becomes the solver's [`Grid`] and bed, flood maps
//! become Cloud-Optimized GeoTIFFs.
//!
//! Orientation: GDAL rasters are stored north-up (row 0 is the northern edge); the core grid
//! stores row 0 at the southern edge. Readers flip rows on the way in, writers on the way out.
//!
//! A DEM in a geographic CRS (degrees) is never used as if it were in metres: it is reprojected
//! (bilinear, nodata-aware, `GDALReprojectImage`) to the UTM zone of its centre, or to a CRS the
//! caller names, with square cells of the source's mean cell size.

use std::path::{Path, PathBuf};

use basintwin_core::{Grid, Manning, Terrain};
use gdal::raster::{Buffer, RasterCreationOptions};
use gdal::spatial_ref::{AxisMappingStrategy, CoordTransform, SpatialRef};
use gdal::{Dataset, DriverManager};

use crate::error::IoError;

/// How to load a DEM.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DemOptions {
    /// Window `[xmin, ymin, xmax, ymax]` in map units of the DEM as used (after any
    /// reprojection); cells whose centre lies inside are kept (west and north edges inclusive).
    pub crop: Option<[f64; 4]>,
    /// Average blocks of `coarsen x coarsen` cells into one (1 or `None`: keep the resolution).
    pub coarsen: Option<usize>,
    /// Reproject to this CRS (any definition GDAL accepts: `EPSG:32614`, WKT, PROJ string).
    /// Without it, a DEM in degrees goes to the UTM zone of its centre and a projected DEM stays.
    pub target_crs: Option<String>,
    /// The CRS of a raster that carries none (e.g. an ESRI ASCII grid without `.prj`).
    pub assume_crs: Option<String>,
}

/// A DEM ready for the solver.
#[derive(Debug, Clone, PartialEq)]
pub struct Dem {
    pub grid: Grid,
    /// Bed elevation per cell (core order: row 0 south); NaN where the DEM has no data.
    pub bed_m: Vec<f64>,
    /// `true` where the DEM has data.
    pub active: Vec<bool>,
    /// The file read.
    pub source: PathBuf,
    /// The CRS the DEM was reprojected from, when it was.
    pub reprojected_from: Option<String>,
}

impl Dem {
    /// The terrain of this DEM with the given roughness.
    pub fn terrain(&self, manning: Manning) -> Result<Terrain, IoError> {
        Terrain::with_mask(&self.grid, self.bed_m.clone(), self.active.clone(), manning).map_err(
            |e| IoError::Invalid {
                path: self.source.clone(),
                what: e.to_string(),
            },
        )
    }

    /// Share of cells without data, in [0, 1].
    pub fn nodata_share(&self) -> f64 {
        self.active.iter().filter(|a| !**a).count() as f64 / self.active.len().max(1) as f64
    }
}

/// What `basintwin info` prints about a raster.
#[derive(Debug, Clone, PartialEq)]
pub struct RasterInfo {
    pub path: PathBuf,
    pub driver: String,
    pub nx: usize,
    pub ny: usize,
    pub bands: usize,
    /// Cell size along x and y in map units (positive).
    pub cell_size: (f64, f64),
    /// `[xmin, ymin, xmax, ymax]` in map units.
    pub extent: [f64; 4],
    /// CRS name (e.g. "WGS 84 / UTM zone 14N"); `None` without CRS.
    pub crs_name: Option<String>,
    pub geographic: bool,
    pub nodata_value: Option<f64>,
    pub nodata_share: f64,
    /// Smallest and largest valid value of band 1; `None` if every cell is nodata.
    pub value_range: Option<(f64, f64)>,
}

impl std::fmt::Display for RasterInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let unit = if self.geographic {
            "degrees"
        } else {
            "map units"
        };
        writeln!(f, "{} ({})", self.path.display(), self.driver)?;
        writeln!(
            f,
            "  size          {} x {} cells, {} band(s)",
            self.nx, self.ny, self.bands
        )?;
        writeln!(
            f,
            "  cell size     {} x {} {unit}",
            self.cell_size.0, self.cell_size.1
        )?;
        writeln!(
            f,
            "  CRS           {}",
            self.crs_name.as_deref().unwrap_or("none")
        )?;
        let [x0, y0, x1, y1] = self.extent;
        writeln!(f, "  extent        x {x0} .. {x1}, y {y0} .. {y1}")?;
        match self.nodata_value {
            Some(v) => writeln!(
                f,
                "  nodata        {v} ({:.1} % of cells)",
                100.0 * self.nodata_share
            )?,
            None => writeln!(f, "  nodata        none set")?,
        }
        match self.value_range {
            Some((lo, hi)) => write!(f, "  values        {lo} .. {hi}"),
            None => write!(f, "  values        none (every cell is nodata)"),
        }
    }
}

fn open(path: &Path) -> Result<Dataset, IoError> {
    if !path.exists() {
        return Err(IoError::NotFound {
            path: path.to_path_buf(),
        });
    }
    let ds = Dataset::open(path).map_err(|e| IoError::NotARaster {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })?;
    if ds.raster_count() == 0 {
        return Err(IoError::NotARaster {
            path: path.to_path_buf(),
            detail: "it has no raster band".into(),
        });
    }
    let (nx, ny) = ds.raster_size();
    if nx == 0 || ny == 0 {
        return Err(IoError::Invalid {
            path: path.to_path_buf(),
            what: format!("the raster is empty ({nx} x {ny} cells)"),
        });
    }
    Ok(ds)
}

/// The north-up geotransform of a dataset: `(x_west, dx, y_north, dy)` with `dx, dy > 0`.
fn north_up(ds: &Dataset, path: &Path) -> Result<(f64, f64, f64, f64), IoError> {
    let gt = ds.geo_transform().map_err(|_| IoError::Invalid {
        path: path.to_path_buf(),
        what: "the raster has no geotransform (cell size and position unknown)".into(),
    })?;
    if gt[2] != 0.0 || gt[4] != 0.0 {
        return Err(IoError::Invalid {
            path: path.to_path_buf(),
            what: format!(
                "the raster is rotated (geotransform terms {} and {} are not zero); \
                 warp it to a north-up grid first, e.g. `gdalwarp in.tif out.tif`",
                gt[2], gt[4]
            ),
        });
    }
    if !(gt[1] > 0.0 && gt[5] < 0.0 && gt.iter().all(|v| v.is_finite())) {
        return Err(IoError::Invalid {
            path: path.to_path_buf(),
            what: format!(
                "the raster is not north-up with positive cell sizes (pixel width {}, height {}); \
                 warp it with `gdalwarp` first",
                gt[1], gt[5]
            ),
        });
    }
    Ok((gt[0], gt[1], gt[3], -gt[5]))
}

fn srs_of(ds: &Dataset) -> Option<SpatialRef> {
    let wkt = ds.projection();
    if wkt.trim().is_empty() {
        return None;
    }
    let mut srs = SpatialRef::from_wkt(&wkt).ok()?;
    srs.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    Some(srs)
}

fn parse_crs(definition: &str, path: &Path, key: &str) -> Result<SpatialRef, IoError> {
    let mut srs = SpatialRef::from_definition(definition).map_err(|e| IoError::Invalid {
        path: path.to_path_buf(),
        what: format!("{key} '{definition}' is not a CRS GDAL understands ({e})"),
    })?;
    srs.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    Ok(srs)
}

fn gdal_err(path: &Path, what: &str) -> impl Fn(gdal::errors::GdalError) -> IoError {
    let path = path.to_path_buf();
    let what = what.to_string();
    move |e| IoError::Gdal {
        path: path.clone(),
        what: what.clone(),
        detail: e.to_string(),
    }
}

/// The UTM zone (as an EPSG code, WGS 84) containing longitude/latitude `(lon, lat)`.
pub fn utm_epsg(lon: f64, lat: f64) -> u32 {
    let zone = (((lon + 180.0) / 6.0).floor() as i64).clamp(0, 59) as u32 + 1;
    if lat >= 0.0 {
        32600 + zone
    } else {
        32700 + zone
    }
}

/// Reads a DEM (GeoTIFF or any raster GDAL reads) for the solver. Band 1 is the elevation in
/// metres, whatever its numeric type; nodata cells become inactive cells.
pub fn read_dem(path: impl AsRef<Path>, options: &DemOptions) -> Result<Dem, IoError> {
    let path = path.as_ref();
    let src = open(path)?;
    north_up(&src, path)?;
    let src_srs = match (srs_of(&src), &options.assume_crs) {
        (Some(srs), _) => srs,
        (None, Some(def)) => parse_crs(def, path, "assume_crs")?,
        (None, None) => {
            return Err(IoError::Invalid {
                path: path.to_path_buf(),
                what: "the raster has no CRS; give one (scenario key terrain.assume_crs, e.g. \
                       \"EPSG:32614\") or add it with `gdal_edit.py -a_srs`"
                    .into(),
            });
        }
    };
    let target = match &options.target_crs {
        Some(def) => Some(parse_crs(def, path, "target_crs")?),
        None if src_srs.is_geographic() => {
            let (x0, dx, y0, dy) = north_up(&src, path)?;
            let (nx, ny) = src.raster_size();
            let (lon, lat) = (x0 + 0.5 * nx as f64 * dx, y0 - 0.5 * ny as f64 * dy);
            let mut srs = SpatialRef::from_epsg(utm_epsg(lon, lat))
                .map_err(gdal_err(path, "building the UTM CRS"))?;
            srs.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
            Some(srs)
        }
        None => None,
    };
    let same = |t: &SpatialRef| t.to_wkt().ok() == src_srs.to_wkt().ok();
    let (work, reprojected_from) = match target {
        Some(t) if !same(&t) => {
            let from = src_srs.name().unwrap_or_else(|| "unnamed CRS".into());
            (reproject_to(&src, &src_srs, &t, path)?, Some(from))
        }
        _ => (src, None),
    };
    let wkt = match srs_of(&work) {
        Some(s) => s
            .to_wkt()
            .map_err(gdal_err(path, "writing the CRS as WKT"))?,
        None => src_srs
            .to_wkt()
            .map_err(gdal_err(path, "writing the CRS as WKT"))?,
    };
    let (x0, dx, y0, dy) = north_up(&work, path)?;
    let (ncols, nrows) = work.raster_size();
    // Window of raster cells to read, from the crop (cells whose centre lies inside).
    let (c0, c1, r0, r1) = match options.crop {
        None => (0, ncols, 0, nrows),
        Some([xmin, ymin, xmax, ymax]) => {
            if !(xmin < xmax && ymin < ymax) {
                return Err(IoError::Invalid {
                    path: path.to_path_buf(),
                    what: format!(
                        "crop [{xmin}, {ymin}, {xmax}, {ymax}] is empty: expected xmin < xmax and ymin < ymax"
                    ),
                });
            }
            let col = |x: f64| (((x - x0) / dx) - 0.5).ceil().clamp(0.0, ncols as f64) as usize;
            let row = |y: f64| (((y0 - y) / dy) - 0.5).ceil().clamp(0.0, nrows as f64) as usize;
            let (c0, c1) = (col(xmin), col(xmax));
            let (r0, r1) = (row(ymax), row(ymin));
            if c1 <= c0 || r1 <= r0 {
                return Err(IoError::Invalid {
                    path: path.to_path_buf(),
                    what: format!(
                        "crop [{xmin}, {ymin}, {xmax}, {ymax}] does not overlap the DEM (x {} .. {}, y {} .. {})",
                        x0,
                        x0 + ncols as f64 * dx,
                        y0 - nrows as f64 * dy,
                        y0
                    ),
                });
            }
            (c0, c1, r0, r1)
        }
    };
    let band = work
        .rasterband(1)
        .map_err(gdal_err(path, "opening band 1"))?;
    let nodata = band.no_data_value();
    let (w, h) = (c1 - c0, r1 - r0);
    let buf: Buffer<f64> = band
        .read_as::<f64>((c0 as isize, r0 as isize), (w, h), (w, h), None)
        .map_err(gdal_err(path, "reading band 1"))?;
    let is_valid = |v: f64| v.is_finite() && nodata.is_none_or(|nd| v != nd);
    // North-up rows -> core rows (south first), nodata -> NaN.
    let mut bed = vec![f64::NAN; w * h];
    for (r, row) in buf.data().chunks_exact(w).enumerate() {
        let j = h - 1 - r;
        for (i, &v) in row.iter().enumerate() {
            if is_valid(v) {
                bed[j * w + i] = v;
            }
        }
    }
    let factor = options.coarsen.unwrap_or(1);
    if factor == 0 {
        return Err(IoError::Invalid {
            path: path.to_path_buf(),
            what: "coarsen = 0: expected a factor of 1 or more".into(),
        });
    }
    if w / factor == 0 || h / factor == 0 {
        return Err(IoError::Invalid {
            path: path.to_path_buf(),
            what: format!(
                "coarsen = {factor}: larger than the raster ({w} x {h} cells after cropping)"
            ),
        });
    }
    let (bed, nx, ny) = if factor > 1 {
        coarsen(&bed, w, h, factor)
    } else {
        (bed, w, h)
    };
    let active: Vec<bool> = bed.iter().map(|v| v.is_finite()).collect();
    if !active.iter().any(|&a| a) {
        return Err(IoError::Invalid {
            path: path.to_path_buf(),
            what: match options.crop {
                Some(_) => "every cell inside the crop window is nodata".into(),
                None => "every cell of band 1 is nodata".into(),
            },
        });
    }
    let (cdx, cdy) = (dx * factor as f64, dy * factor as f64);
    let x_west = x0 + c0 as f64 * dx;
    // South edge of the last whole block of coarse rows.
    let y_north = y0 - r0 as f64 * dy;
    let y_south = y_north - ny as f64 * cdy;
    let grid = Grid::georeferenced(nx, ny, cdx, cdy, x_west, y_south, wkt).map_err(|e| {
        IoError::Invalid {
            path: path.to_path_buf(),
            what: e.to_string(),
        }
    })?;
    Ok(Dem {
        grid,
        bed_m: bed,
        active,
        source: path.to_path_buf(),
        reprojected_from,
    })
}

/// Averages blocks of `f x f` valid cells (core order, row 0 south). The blocks are aligned to
/// the north-west corner, as in the raster; the partial blocks at the east and south edges (at
/// most `f - 1` raster cells) are dropped, so that every coarse cell lies inside the raster and
/// parameter rasters of the same extent cover it. A block without a valid cell is nodata.
fn coarsen(bed: &[f64], w: usize, h: usize, f: usize) -> (Vec<f64>, usize, usize) {
    let (nx, ny) = (w / f, h / f);
    let mut out = vec![f64::NAN; nx * ny];
    for jc in 0..ny {
        // Coarse row jc (south first); the northern-most coarse row holds the first f raster rows.
        let r_north = (ny - 1 - jc) * f; // raster rows counted from the north
        for ic in 0..nx {
            let (mut sum, mut n) = (0.0, 0usize);
            for r in r_north..r_north + f {
                let j = h - 1 - r;
                for i in ic * f..(ic + 1) * f {
                    let v = bed[j * w + i];
                    if v.is_finite() {
                        sum += v;
                        n += 1;
                    }
                }
            }
            if n > 0 {
                out[jc * nx + ic] = sum / n as f64;
            }
        }
    }
    (out, nx, ny)
}

/// Reprojects band 1 of `src` into an in-memory dataset in `target`, square cells, bilinear.
fn reproject_to(
    src: &Dataset,
    src_srs: &SpatialRef,
    target: &SpatialRef,
    path: &Path,
) -> Result<Dataset, IoError> {
    let (x0, dx, y0, dy) = north_up(src, path)?;
    let (ncols, nrows) = src.raster_size();
    let bounds = [x0, y0 - nrows as f64 * dy, x0 + ncols as f64 * dx, y0];
    let tr = CoordTransform::new(src_srs, target)
        .map_err(gdal_err(path, "setting up the reprojection"))?;
    let out = tr
        .transform_bounds(&bounds, 21)
        .map_err(gdal_err(path, "reprojecting the DEM's extent"))?;
    // Cell size: the source cell's size in metres at the centre, made square.
    let (cx, cy) = (0.5 * (bounds[0] + bounds[2]), 0.5 * (bounds[1] + bounds[3]));
    let mut xs = [cx, cx + dx, cx];
    let mut ys = [cy, cy, cy + dy];
    let mut zs = [0.0; 3];
    tr.transform_coords(&mut xs, &mut ys, &mut zs)
        .map_err(gdal_err(path, "reprojecting the cell size"))?;
    let sx = ((xs[1] - xs[0]).powi(2) + (ys[1] - ys[0]).powi(2)).sqrt();
    let sy = ((xs[2] - xs[0]).powi(2) + (ys[2] - ys[0]).powi(2)).sqrt();
    let res = (sx * sy).sqrt();
    if !(res.is_finite() && res > 0.0) {
        return Err(IoError::Invalid {
            path: path.to_path_buf(),
            what: "the reprojected cell size is not a positive length".into(),
        });
    }
    let nx = ((out[2] - out[0]) / res).ceil().max(1.0) as usize;
    let ny = ((out[3] - out[1]) / res).ceil().max(1.0) as usize;
    let band = src
        .rasterband(1)
        .map_err(gdal_err(path, "opening band 1"))?;
    let nodata = band.no_data_value().unwrap_or(-9999.0);
    let mem = DriverManager::get_driver_by_name("MEM")
        .map_err(gdal_err(path, "loading GDAL's MEM driver"))?;
    let mut dst = mem
        .create_with_band_type::<f64, _>("", nx, ny, 1)
        .map_err(gdal_err(path, "allocating the reprojected DEM"))?;
    dst.set_geo_transform(&[out[0], res, 0.0, out[3], 0.0, -res])
        .map_err(gdal_err(path, "setting the reprojected geotransform"))?;
    dst.set_spatial_ref(target)
        .map_err(gdal_err(path, "setting the reprojected CRS"))?;
    {
        let mut b = dst
            .rasterband(1)
            .map_err(gdal_err(path, "opening the reprojected band"))?;
        b.set_no_data_value(Some(nodata))
            .map_err(gdal_err(path, "setting nodata"))?;
        b.fill(nodata, None)
            .map_err(gdal_err(path, "filling nodata"))?;
    }
    warp(src, &dst, Resample::Bilinear).map_err(gdal_err(path, "reprojecting the DEM"))?;
    Ok(dst)
}

/// Resampling method for rasters brought onto the DEM's grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resample {
    /// The value of the source cell under the target cell centre: for classes (land use) and
    /// piecewise-constant parameters.
    Nearest,
    /// Bilinear interpolation: for smooth fields (water levels, depths).
    Bilinear,
    /// Cubic convolution.
    Cubic,
    /// Mean of the source cells covering the target cell: for fine rasters onto a coarser grid.
    Average,
    /// Most frequent source value: classes onto a coarser grid.
    Mode,
}

impl Resample {
    pub fn name(self) -> &'static str {
        match self {
            Resample::Nearest => "nearest",
            Resample::Bilinear => "bilinear",
            Resample::Cubic => "cubic",
            Resample::Average => "average",
            Resample::Mode => "mode",
        }
    }

    fn gdal(self) -> gdal_sys::GDALResampleAlg::Type {
        use gdal_sys::GDALResampleAlg as A;
        match self {
            Resample::Nearest => A::GRA_NearestNeighbour,
            Resample::Bilinear => A::GRA_Bilinear,
            Resample::Cubic => A::GRA_Cubic,
            Resample::Average => A::GRA_Average,
            Resample::Mode => A::GRA_Mode,
        }
    }
}

impl std::str::FromStr for Resample {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "nearest" => Ok(Resample::Nearest),
            "bilinear" => Ok(Resample::Bilinear),
            "cubic" => Ok(Resample::Cubic),
            "average" => Ok(Resample::Average),
            "mode" => Ok(Resample::Mode),
            other => Err(format!(
                "unknown resampling '{other}': expected nearest, bilinear, cubic, average or mode"
            )),
        }
    }
}

/// Warps band 1 of `src` into `dst` (which carries the target grid, CRS and nodata) with
/// `GDALReprojectImage`; source and target nodata are honoured.
fn warp(src: &Dataset, dst: &Dataset, method: Resample) -> gdal::errors::Result<()> {
    // SAFETY: both handles are valid, open datasets owned by the arguments for the whole call;
    // null WKTs mean "take the datasets' own CRS", a null progress callback and null warp options
    // are documented defaults of GDALReprojectImage.
    #[allow(unsafe_code)]
    let rc = unsafe {
        gdal_sys::GDALReprojectImage(
            src.c_dataset(),
            std::ptr::null(),
            dst.c_dataset(),
            std::ptr::null(),
            method.gdal(),
            0.0,
            0.0,
            None,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        )
    };
    if rc == gdal_sys::CPLErr::CE_None {
        Ok(())
    } else {
        Err(gdal::errors::GdalError::CplError {
            class: rc,
            number: 0,
            msg: "GDALReprojectImage failed".into(),
        })
    }
}

/// Band `band` of `src` as a one-band in-memory dataset with the same geotransform, CRS and
/// nodata.
fn single_band(src: &Dataset, band: usize, path: &Path) -> Result<Dataset, IoError> {
    let (nx, ny) = src.raster_size();
    let rb = src
        .rasterband(band)
        .map_err(gdal_err(path, &format!("opening band {band}")))?;
    let mut buf: Buffer<f64> = rb
        .read_band_as::<f64>()
        .map_err(gdal_err(path, &format!("reading band {band}")))?;
    let mem = DriverManager::get_driver_by_name("MEM")
        .map_err(gdal_err(path, "loading GDAL's MEM driver"))?;
    let mut out = mem
        .create_with_band_type::<f64, _>("", nx, ny, 1)
        .map_err(gdal_err(path, "allocating a band copy"))?;
    if let Ok(gt) = src.geo_transform() {
        out.set_geo_transform(&gt)
            .map_err(gdal_err(path, "copying the geotransform"))?;
    }
    if let Some(srs) = srs_of(src) {
        out.set_spatial_ref(&srs)
            .map_err(gdal_err(path, "copying the CRS"))?;
    }
    {
        let mut ob = out
            .rasterband(1)
            .map_err(gdal_err(path, "opening the band copy"))?;
        ob.set_no_data_value(rb.no_data_value())
            .map_err(gdal_err(path, "copying nodata"))?;
        ob.write((0, 0), (nx, ny), &mut buf)
            .map_err(gdal_err(path, "writing the band copy"))?;
    }
    Ok(out)
}

/// Reads band 1 of a parameter raster (Manning's n, initial depth or level, ...) onto `grid`
/// (core order, row 0 south): directly when it is on the same grid, otherwise warped from its
/// own CRS and cells with `method`. Nodata, and cells the raster does not cover, are NaN. A
/// raster that does not overlap the grid at all is an error; `what` names the raster in it.
pub fn read_aligned(
    path: impl AsRef<Path>,
    grid: &Grid,
    method: Resample,
    what: &str,
) -> Result<Vec<f64>, IoError> {
    let path = path.as_ref();
    let src = open(path)?;
    read_band_aligned(&src, 1, path, grid, method, what)
}

/// Band 1 of a raster already on the DEM's grid, north-up, nodata as NaN.
fn read_as_is(src: &Dataset, path: &Path) -> Result<Vec<f64>, IoError> {
    let band = src
        .rasterband(1)
        .map_err(gdal_err(path, "opening band 1"))?;
    let band_nodata = band.no_data_value();
    let buf: Buffer<f64> = band
        .read_band_as::<f64>()
        .map_err(gdal_err(path, "reading band 1"))?;
    Ok(buf
        .data()
        .iter()
        .map(|&v| {
            if v.is_finite() && band_nodata.is_none_or(|nd| v != nd) {
                v
            } else {
                f64::NAN
            }
        })
        .collect())
}

/// Refuses a raster whose extent `bounds` (xmin, ymin, xmax, ymax in its CRS) does not overlap
/// the DEM's grid (a quick test in the grid's CRS before warping).
fn check_overlap(
    mut bounds: [f64; 4],
    src_srs: Option<&SpatialRef>,
    grid_srs: Option<&SpatialRef>,
    grid: &Grid,
    path: &Path,
    what: &str,
) -> Result<(), IoError> {
    if let (Some(s), Some(g)) = (src_srs, grid_srs)
        && s.to_wkt().ok() != g.to_wkt().ok()
    {
        let tr =
            CoordTransform::new(s, g).map_err(gdal_err(path, "setting up the reprojection"))?;
        bounds = tr
            .transform_bounds(&bounds, 21)
            .map_err(gdal_err(path, "reprojecting the raster's extent"))?;
    }
    let y_north = grid.y_south_m + grid.ny as f64 * grid.dy_m;
    let g_bounds = [
        grid.x_west_m,
        grid.y_south_m,
        grid.x_west_m + grid.nx as f64 * grid.dx_m,
        y_north,
    ];
    if bounds[0] >= g_bounds[2]
        || bounds[2] <= g_bounds[0]
        || bounds[1] >= g_bounds[3]
        || bounds[3] <= g_bounds[1]
    {
        return Err(IoError::Invalid {
            path: path.to_path_buf(),
            what: format!(
                "the {what} raster (x {:.1} .. {:.1}, y {:.1} .. {:.1}) does not overlap the DEM (x {:.1} .. {:.1}, y {:.1} .. {:.1})",
                bounds[0],
                bounds[2],
                bounds[1],
                bounds[3],
                g_bounds[0],
                g_bounds[2],
                g_bounds[1],
                g_bounds[3]
            ),
        });
    }
    Ok(())
}

/// Warps `src` onto the DEM's grid with `method` (a raster without a CRS is taken to be in the
/// DEM's CRS); north-up values, NaN where nothing landed.
fn warp_onto_grid(
    src: &Dataset,
    src_has_no_crs: bool,
    grid_srs: Option<&SpatialRef>,
    grid: &Grid,
    method: Resample,
    path: &Path,
) -> Result<Vec<f64>, IoError> {
    let (nx, ny) = (grid.nx, grid.ny);
    let y_north = grid.y_south_m + ny as f64 * grid.dy_m;
    let nodata = -3.0e38;
    let mem = DriverManager::get_driver_by_name("MEM")
        .map_err(gdal_err(path, "loading GDAL's MEM driver"))?;
    let mut dst = mem
        .create_with_band_type::<f64, _>("", nx, ny, 1)
        .map_err(gdal_err(path, "allocating the aligned raster"))?;
    dst.set_geo_transform(&[grid.x_west_m, grid.dx_m, 0.0, y_north, 0.0, -grid.dy_m])
        .map_err(gdal_err(path, "setting the target geotransform"))?;
    if let Some(g) = grid_srs {
        dst.set_spatial_ref(g)
            .map_err(gdal_err(path, "setting the target CRS"))?;
    }
    {
        let mut b = dst
            .rasterband(1)
            .map_err(gdal_err(path, "opening the target band"))?;
        b.set_no_data_value(Some(nodata))
            .map_err(gdal_err(path, "setting nodata"))?;
        b.fill(nodata, None)
            .map_err(gdal_err(path, "filling nodata"))?;
    }
    if src_has_no_crs && let Some(g) = grid_srs {
        let mut mem_src = src
            .create_copy(&mem, "", &RasterCreationOptions::default())
            .map_err(gdal_err(path, "copying the raster"))?;
        mem_src
            .set_spatial_ref(g)
            .map_err(gdal_err(path, "assigning the DEM's CRS"))?;
        warp(&mem_src, &dst, method).map_err(gdal_err(path, "resampling onto the DEM grid"))?;
    } else {
        warp(src, &dst, method).map_err(gdal_err(path, "resampling onto the DEM grid"))?;
    }
    let band = dst
        .rasterband(1)
        .map_err(gdal_err(path, "opening the target band"))?;
    let buf: Buffer<f64> = band
        .read_band_as::<f64>()
        .map_err(gdal_err(path, "reading the aligned raster"))?;
    Ok(buf
        .data()
        .iter()
        .map(|&v| {
            if v.is_finite() && v != nodata {
                v
            } else {
                f64::NAN
            }
        })
        .collect())
}

/// [`read_aligned`] for band `band` (1-based) of an open dataset; `path` names it in errors.
pub(crate) fn read_band_aligned(
    src: &Dataset,
    band: usize,
    path: &Path,
    grid: &Grid,
    method: Resample,
    what: &str,
) -> Result<Vec<f64>, IoError> {
    // Warping works on whole datasets: take the band out of a multi-band one first.
    let single;
    let src = if src.raster_count() > 1 || band != 1 {
        single = single_band(src, band, path)?;
        &single
    } else {
        src
    };
    let (x0, dx, y0, dy) = north_up(src, path)?;
    let (ncols, nrows) = src.raster_size();
    let (nx, ny) = (grid.nx, grid.ny);
    let y_north = grid.y_south_m + ny as f64 * grid.dy_m;
    let grid_srs = if grid.crs_wkt.is_empty() {
        None
    } else {
        let mut s =
            SpatialRef::from_wkt(&grid.crs_wkt).map_err(gdal_err(path, "reading the DEM's CRS"))?;
        s.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
        Some(s)
    };
    let src_srs = srs_of(src);
    let same_crs = match (&src_srs, &grid_srs) {
        (Some(a), Some(b)) => a.to_wkt().ok() == b.to_wkt().ok(),
        (None, _) => true, // no CRS: taken to be the DEM's
        (Some(_), None) => true,
    };
    let close = |a: f64, b: f64, d: f64| (a - b).abs() <= 1e-6 * d;
    let same_grid = same_crs
        && (ncols, nrows) == (nx, ny)
        && close(x0, grid.x_west_m, grid.dx_m)
        && close(y0, y_north, grid.dy_m)
        && close(dx, grid.dx_m, grid.dx_m)
        && close(dy, grid.dy_m, grid.dy_m);
    let north_up_values = if same_grid {
        read_as_is(src, path)?
    } else {
        let bounds = [x0, y0 - nrows as f64 * dy, x0 + ncols as f64 * dx, y0];
        check_overlap(
            bounds,
            src_srs.as_ref(),
            grid_srs.as_ref(),
            grid,
            path,
            what,
        )?;
        warp_onto_grid(
            src,
            src_srs.is_none(),
            grid_srs.as_ref(),
            grid,
            method,
            path,
        )?
    };
    // North-up rows -> core rows.
    let mut out = vec![f64::NAN; nx * ny];
    for (r, row) in north_up_values.chunks_exact(nx).enumerate() {
        out[(ny - 1 - r) * nx..(ny - r) * nx].copy_from_slice(row);
    }
    if out.iter().all(|v| v.is_nan()) {
        return Err(IoError::Invalid {
            path: path.to_path_buf(),
            what: format!(
                "the {what} raster has no value on the DEM's cells (all nodata where they overlap)"
            ),
        });
    }
    Ok(out)
}

/// Describes a raster: size, cell size, CRS, extent, nodata share, value range of band 1.
pub fn raster_info(path: impl AsRef<Path>) -> Result<RasterInfo, IoError> {
    let path = path.as_ref();
    let ds = open(path)?;
    let (x0, dx, y0, dy) = north_up(&ds, path)?;
    let (nx, ny) = ds.raster_size();
    let band = ds.rasterband(1).map_err(gdal_err(path, "opening band 1"))?;
    let nodata = band.no_data_value();
    let buf: Buffer<f64> = band
        .read_band_as::<f64>()
        .map_err(gdal_err(path, "reading band 1"))?;
    let mut range: Option<(f64, f64)> = None;
    let mut missing = 0usize;
    for &v in buf.data() {
        if v.is_finite() && nodata.is_none_or(|nd| v != nd) {
            range = Some(match range {
                None => (v, v),
                Some((lo, hi)) => (lo.min(v), hi.max(v)),
            });
        } else {
            missing += 1;
        }
    }
    let srs = srs_of(&ds);
    Ok(RasterInfo {
        path: path.to_path_buf(),
        driver: ds.driver().short_name(),
        nx,
        ny,
        bands: ds.raster_count(),
        cell_size: (dx, dy),
        extent: [x0, y0 - ny as f64 * dy, x0 + nx as f64 * dx, y0],
        crs_name: srs.as_ref().and_then(|s| s.name()),
        geographic: srs.as_ref().is_some_and(|s| s.is_geographic()),
        nodata_value: nodata,
        nodata_share: missing as f64 / (nx * ny) as f64,
        value_range: range,
    })
}

/// Writes one map (core order, row 0 south) as a Cloud-Optimized GeoTIFF (deflate, tiled, with
/// overviews) with the grid's CRS; NaN cells become `nodata`. Refuses to replace an existing file
/// unless `overwrite`; writes to a temporary file in the same folder and renames it, so a failed
/// write never leaves half a map under the final name.
pub fn write_map(
    path: impl AsRef<Path>,
    grid: &Grid,
    values: &[f32],
    nodata: f32,
    overwrite: bool,
) -> Result<(), IoError> {
    let path = path.as_ref();
    if values.len() != grid.cells() {
        return Err(IoError::Invalid {
            path: path.to_path_buf(),
            what: format!(
                "{} values for a grid of {} x {} cells",
                values.len(),
                grid.nx,
                grid.ny
            ),
        });
    }
    if path.exists() && !overwrite {
        return Err(IoError::Exists {
            path: path.to_path_buf(),
        });
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        return Err(IoError::Write {
            path: path.to_path_buf(),
            detail: format!("the folder {} does not exist", dir.display()),
        });
    }
    let (nx, ny) = (grid.nx, grid.ny);
    // North-up rows, NaN -> nodata.
    let mut data = vec![nodata; nx * ny];
    for r in 0..ny {
        let j = ny - 1 - r;
        for i in 0..nx {
            let v = values[j * nx + i];
            if v.is_finite() {
                data[r * nx + i] = v;
            }
        }
    }
    let werr = |what: &str| {
        let p = path.to_path_buf();
        let what = what.to_string();
        move |e: gdal::errors::GdalError| IoError::Write {
            path: p.clone(),
            detail: format!("{what}: {e}"),
        }
    };
    let mem =
        DriverManager::get_driver_by_name("MEM").map_err(werr("loading GDAL's MEM driver"))?;
    let mut ds = mem
        .create_with_band_type::<f32, _>("", nx, ny, 1)
        .map_err(werr("allocating the map"))?;
    let y_north = grid.y_south_m + ny as f64 * grid.dy_m;
    ds.set_geo_transform(&[grid.x_west_m, grid.dx_m, 0.0, y_north, 0.0, -grid.dy_m])
        .map_err(werr("setting the geotransform"))?;
    if !grid.crs_wkt.is_empty() {
        ds.set_projection(&grid.crs_wkt)
            .map_err(werr("setting the CRS"))?;
    }
    {
        let mut band = ds.rasterband(1).map_err(werr("opening the band"))?;
        band.set_no_data_value(Some(f64::from(nodata)))
            .map_err(werr("setting nodata"))?;
        let mut buf = Buffer::new((nx, ny), data);
        band.write((0, 0), (nx, ny), &mut buf)
            .map_err(werr("filling the band"))?;
    }
    let cog =
        DriverManager::get_driver_by_name("COG").map_err(werr("loading GDAL's COG driver"))?;
    let options =
        RasterCreationOptions::from_iter(["COMPRESS=DEFLATE", "PREDICTOR=YES", "OVERVIEWS=AUTO"]);
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "map.tif".into());
    let tmp = dir.join(format!(".{file_name}.partial"));
    let written = ds
        .create_copy(&cog, &tmp, &options)
        .and_then(|out| out.close());
    if let Err(e) = written {
        let hint = crate::error::space_hint(path);
        let _ = std::fs::remove_file(&tmp);
        return Err(IoError::Write {
            path: path.to_path_buf(),
            detail: format!("GDAL could not write the GeoTIFF{hint}: {e}"),
        });
    }
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        IoError::Write {
            path: path.to_path_buf(),
            detail: e.to_string(),
        }
    })
}

/// Writes the four flood maps of a run into `dir`: maximum depth (m), maximum speed (m/s),
/// maximum hazard `h (v + 0.5)` (m^2/s) and first arrival time (s since the start). Cells
/// outside the domain (`active` false), and for the arrival time cells the flood never reached,
/// are nodata (-9999). Returns the paths written.
pub fn write_flood_maps<R: basintwin_core::Real>(
    dir: impl AsRef<Path>,
    grid: &Grid,
    active: &[bool],
    maxima: &basintwin_core::Maxima<R>,
    overwrite: bool,
) -> Result<Vec<PathBuf>, IoError> {
    let dir = dir.as_ref();
    let nodata = -9999.0f32;
    let field = |v: &[R]| -> Vec<f32> {
        v.iter()
            .zip(active)
            .map(|(&x, &a)| {
                if a && x.is_finite() {
                    x.f64() as f32
                } else {
                    f32::NAN
                }
            })
            .collect()
    };
    let maps = [
        field(&maxima.depth_m),
        field(&maxima.speed_m_s),
        field(&maxima.hazard_m2_s),
        field(&maxima.arrival_s),
    ];
    // Check every target first, so that a refusal leaves no half-written set behind.
    if !overwrite
        && let Some(p) = crate::run_folder::FLOOD_MAPS
            .iter()
            .map(|n| dir.join(n))
            .find(|p| p.exists())
    {
        return Err(IoError::Exists { path: p });
    }
    let mut written = Vec::with_capacity(4);
    for (name, values) in crate::run_folder::FLOOD_MAPS.iter().zip(&maps) {
        let p = dir.join(name);
        write_map(&p, grid, values, nodata, overwrite)?;
        written.push(p);
    }
    Ok(written)
}
