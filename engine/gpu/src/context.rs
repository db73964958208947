//! Finding a GPU: the adapter (by name from `BASINTWIN_ADAPTER`, else the best one) and its
//! device, with the adapter's own limits so that large grids get the largest buffers it allows.

use crate::error::GpuError;

/// A device and queue on one adapter (cloned, the same device: ensemble members share it).
#[derive(Debug, Clone)]
pub struct GpuContext {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub info: wgpu::AdapterInfo,
    pub limits: wgpu::Limits,
}

/// Ranks adapters: discrete GPUs first, software rasterisers last.
fn rank(t: wgpu::DeviceType) -> u32 {
    match t {
        wgpu::DeviceType::DiscreteGpu => 0,
        wgpu::DeviceType::IntegratedGpu => 1,
        wgpu::DeviceType::VirtualGpu => 2,
        wgpu::DeviceType::Other => 3,
        wgpu::DeviceType::Cpu => 4,
    }
}

/// How to get an adapter, for the error message.
pub const NO_ADAPTER_HINT: &str = "no GPU adapter found (Vulkan, Metal, DirectX 12 or OpenGL). \
On Linux without a GPU, Mesa's software Vulkan driver is enough to run (slowly): \
apt-get install mesa-vulkan-drivers (Debian/Ubuntu) or dnf install mesa-vulkan-drivers (Fedora)";

/// One line per adapter: name, type, backend.
pub fn describe(info: &wgpu::AdapterInfo) -> String {
    format!("{} ({:?}, {:?})", info.name, info.device_type, info.backend)
}

impl GpuContext {
    /// Opens the adapter named by `BASINTWIN_ADAPTER` (part of its name), or the best one.
    pub fn from_env() -> Result<Self, GpuError> {
        Self::new(std::env::var("BASINTWIN_ADAPTER").ok().as_deref())
    }

    /// Opens the adapter whose name contains `name` (case-insensitive), or the best one.
    pub fn new(name: Option<&str>) -> Result<Self, GpuError> {
        let instance =
            wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
        let adapters = pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all()));
        if adapters.is_empty() {
            return Err(GpuError::NoAdapter(NO_ADAPTER_HINT.into()));
        }
        let chosen = match name {
            Some(n) => {
                let want = n.to_lowercase();
                adapters
                    .into_iter()
                    .find(|a| a.get_info().name.to_lowercase().contains(&want))
                    .ok_or_else(|| {
                        GpuError::NoAdapter(format!(
                            "no adapter's name contains '{n}' (see `basintwin bench --backend gpu` for the list)"
                        ))
                    })?
            }
            None => {
                let mut a = adapters;
                a.sort_by_key(|a| {
                    let i = a.get_info();
                    // Vulkan before OpenGL on the same device.
                    (
                        rank(i.device_type),
                        u32::from(i.backend != wgpu::Backend::Vulkan),
                    )
                });
                a.into_iter()
                    .next()
                    .ok_or_else(|| GpuError::NoAdapter(NO_ADAPTER_HINT.into()))?
            }
        };
        let info = chosen.get_info();
        let limits = chosen.limits();
        let (device, queue) = pollster::block_on(chosen.request_device(&wgpu::DeviceDescriptor {
            label: Some("basintwin"),
            required_features: wgpu::Features::empty(),
            required_limits: limits.clone(),
            experimental_features: wgpu::ExperimentalFeatures::disabled(),
            memory_hints: wgpu::MemoryHints::Performance,
            trace: wgpu::Trace::Off,
        }))
        .map_err(|e| GpuError::Device(format!("{}: {e}", describe(&info))))?;
        Ok(Self {
            device,
            queue,
            info,
            limits,
        })
    }

    /// Runs `f` (which creates buffers) and says whether the device ran out of memory meanwhile.
    pub fn out_of_memory_check<T>(&self, f: impl FnOnce() -> T) -> (T, Option<String>) {
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let out = f();
        let error = pollster::block_on(scope.pop()).map(|e| e.to_string());
        (out, error)
    }

    /// Names of every adapter this machine offers.
    pub fn list() -> Vec<String> {
        let instance =
            wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
        pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all()))
            .iter()
            .map(|a| describe(&a.get_info()))
            .collect()
    }
}
