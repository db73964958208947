//! The clock of the replay: simulated time, play/pause, speed, stepping between snapshots. The
//! clock advances by bevy's `Time` (which tests and screenshots drive with a fixed step), and
//! the displayed snapshot is the last one at or before the clock.

use bevy::prelude::*;

/// Where the replay is.
#[derive(Debug, Clone, Resource)]
pub struct Timeline {
    /// Snapshot times (s since the start of the run), ascending.
    pub times: Vec<f64>,
    /// The simulated time shown (s).
    pub clock_s: f64,
    pub playing: bool,
    /// Simulated seconds per real second.
    pub speed: f64,
    /// Keep showing the newest snapshot as a live run adds them.
    pub follow_latest: bool,
}

impl Timeline {
    pub fn new(times: Vec<f64>) -> Self {
        let span = match (times.first(), times.last()) {
            (Some(a), Some(b)) if b > a => b - a,
            _ => 60.0,
        };
        Self {
            clock_s: times.first().copied().unwrap_or(0.0),
            times,
            playing: false,
            // The whole run in about 30 s.
            speed: (span / 30.0).max(1.0),
            follow_latest: false,
        }
    }

    /// The snapshot shown: the last one at or before the clock (the first before it starts).
    pub fn index(&self) -> usize {
        self.times
            .partition_point(|&t| t <= self.clock_s + 1e-6)
            .saturating_sub(1)
    }

    pub fn end_s(&self) -> f64 {
        self.times.last().copied().unwrap_or(0.0)
    }

    /// Advances the clock by `real_dt` seconds of real time when playing; stops at the end.
    pub fn advance(&mut self, real_dt: f64) {
        if self.follow_latest {
            self.clock_s = self.end_s();
            return;
        }
        if !self.playing {
            return;
        }
        self.clock_s += real_dt * self.speed;
        if self.clock_s >= self.end_s() {
            self.clock_s = self.end_s();
            self.playing = false;
        }
    }

    /// Moves `delta` snapshots forwards (or back) and stops playing.
    pub fn step(&mut self, delta: i64) {
        if self.times.is_empty() {
            return;
        }
        let k = (self.index() as i64 + delta).clamp(0, self.times.len() as i64 - 1) as usize;
        self.clock_s = self.times[k];
        self.playing = false;
        self.follow_latest = false;
    }

    /// Jumps to time `t` (clamped to the run).
    pub fn seek(&mut self, t: f64) {
        let first = self.times.first().copied().unwrap_or(0.0);
        self.clock_s = t.clamp(first, self.end_s().max(first));
    }

    /// New snapshots arrived (a live or followed run).
    pub fn set_times(&mut self, times: Vec<f64>) {
        self.times = times;
        if self.follow_latest {
            self.clock_s = self.end_s();
        }
    }
}

/// The order of the viewer's systems within a frame.
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub enum ViewerSet {
    /// New snapshots from a live or followed run.
    Source,
    /// The clock moves.
    Clock,
    /// Meshes and markers follow the clock.
    Scene,
}

/// Advances the [`Timeline`] with bevy's clock.
#[derive(Debug)]
pub struct TimelinePlugin;

impl Plugin for TimelinePlugin {
    fn build(&self, app: &mut App) {
        app.configure_sets(
            Update,
            (ViewerSet::Source, ViewerSet::Clock, ViewerSet::Scene).chain(),
        )
        .add_systems(Update, advance_clock.in_set(ViewerSet::Clock));
    }
}

fn advance_clock(time: Res<Time>, mut timeline: ResMut<Timeline>) {
    timeline.advance(time.delta_secs_f64());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_is_the_last_snapshot_at_or_before_the_clock() {
        let mut t = Timeline::new(vec![0.0, 300.0, 600.0, 900.0]);
        assert_eq!(t.index(), 0);
        t.seek(299.0);
        assert_eq!(t.index(), 0);
        t.seek(300.0);
        assert_eq!(t.index(), 1);
        t.seek(5000.0);
        assert_eq!((t.clock_s, t.index()), (900.0, 3));
        t.step(-2);
        assert_eq!(t.index(), 1);
        t.step(-5);
        assert_eq!(t.index(), 0);
    }

    #[test]
    fn the_plugin_follows_a_deterministic_clock() {
        // 0.2 s of bevy time per frame (under bevy's 0.25 s cap on a frame's virtual time) at
        // 150 simulated seconds per second: 30 s per frame.
        let mut app = App::new();
        app.add_plugins(MinimalPlugins)
            .insert_resource(bevy::time::TimeUpdateStrategy::ManualDuration(
                std::time::Duration::from_millis(200),
            ))
            .insert_resource(Timeline {
                playing: true,
                speed: 150.0,
                ..Timeline::new(vec![0.0, 60.0, 120.0, 180.0])
            })
            .add_plugins(TimelinePlugin);
        let mut shown = Vec::new();
        for _ in 0..9 {
            app.update();
            shown.push(app.world().resource::<Timeline>().index());
        }
        // The first update only starts the clock (zero delta).
        assert_eq!(shown, vec![0, 0, 1, 1, 2, 2, 3, 3, 3]);
        let t = app.world().resource::<Timeline>();
        assert!(!t.playing && t.clock_s == 180.0);
    }

    #[test]
    fn playing_stops_at_the_end() {
        let mut t = Timeline::new(vec![0.0, 300.0, 600.0]);
        assert_eq!(t.speed, 20.0);
        t.playing = true;
        t.advance(10.0);
        assert_eq!((t.clock_s, t.index()), (200.0, 0));
        t.advance(100.0);
        assert!(!t.playing);
        assert_eq!(t.index(), 2);
    }
}
