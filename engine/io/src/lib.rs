//! # basintwin-io
//!
//! Terrain in, results out. [`raster`] reads DEMs through GDAL (GeoTIFF and every raster format
//! GDAL reads) into the core's grid and bed, and writes flood maps as Cloud-Optimized GeoTIFF.
//! The numerics crate stays free of GDAL.

pub mod error;
pub mod rain;
pub mod raster;
pub mod snapshot;

pub use error::IoError;
pub use rain::{RainFrames, read_rain_folder, read_rain_netcdf};
pub use raster::{
    Dem, DemOptions, FLOOD_MAPS, RasterInfo, Resample, raster_info, read_aligned, read_dem,
    write_flood_maps, write_map,
};
pub use snapshot::{
    SnapshotFields, SnapshotMeta, SnapshotReader, SnapshotWriter, Which, read_snapshot,
    snapshot_times,
};
