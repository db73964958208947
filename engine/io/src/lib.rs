//! # basintwin-io
//!
//! Terrain in, results out. [`raster`] reads DEMs through GDAL (GeoTIFF and every raster format
//! GDAL reads) into the core's grid and bed, and writes flood maps as Cloud-Optimized GeoTIFF.
//! [`run_folder`] is the contract of a run's output folder: its file names, the typed summary
//! and the gauge and section tables. The numerics crate stays free of GDAL.

pub mod error;
pub mod rain;
pub mod raster;
pub mod run_folder;
pub mod snapshot;

pub use error::IoError;
pub use rain::{RainFrames, read_rain_folder, read_rain_netcdf};
pub use raster::{
    Dem, DemOptions, RasterInfo, Resample, raster_info, read_aligned, read_dem, write_flood_maps,
    write_map,
};
pub use run_folder::{FLOOD_MAPS, RunFolder, Summary};
pub use snapshot::{
    MemberSnapshotWriter, SnapshotFields, SnapshotMeta, SnapshotReader, SnapshotWriter, Which,
    read_snapshot, snapshot_times,
};
