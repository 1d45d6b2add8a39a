//! Registry benchmarks on synthetic data (never stored: drawn by
//! `dialgate_registry::synth`).
//!
//! `DIALGATE_REGISTRY_BENCH_N` sets the numbers a set holds (default
//! 1,000,000, so that `cargo bench -- --test` stays fast; the figures in
//! BENCHMARKS.md use 250,000,000). `DIALGATE_REGISTRY_BENCH_SETS` picks the
//! sets (comma-separated of `clustered32`, `clustered18`, `uniform`;
//! default all). Sizes, one-shot build and apply times are printed to stderr
//! as `summary` lines.

use std::hint::black_box;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use dialgate_registry::load::apply_changes;
use dialgate_registry::synth::{clustered, uniform, Rng};
use dialgate_registry::{write_atomic, Builder, Lookup, Registry};
use roaring::RoaringTreemap;
use vers_vecs::EliasFanoVec;

/// Lookups one timed iteration makes.
const CHAIN: usize = 1 << 14;

fn env_n() -> u64 {
    std::env::var("DIALGATE_REGISTRY_BENCH_N")
        .ok()
        .and_then(|s| s.replace('_', "").parse().ok())
        .unwrap_or(1_000_000)
}

fn as_of() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 1, 5).unwrap()
}

fn build(numbers: &[u64]) -> Vec<u8> {
    let mut b = Builder::with_capacity(as_of(), numbers.len());
    b.cover_all();
    for &n in numbers {
        b.push(n).unwrap();
    }
    b.finish()
}

/// Random registered numbers, and random unregistered numbers of the same
/// live exchanges (misses that still reach a segment).
fn keys(numbers: &[u64], reg: &Registry, count: usize) -> (Vec<u64>, Vec<u64>) {
    let mut rng = Rng::new(99);
    let hits: Vec<u64> = (0..count)
        .map(|_| numbers[rng.below(numbers.len() as u64) as usize])
        .collect();
    let mut misses = Vec::with_capacity(count);
    while misses.len() < count {
        let n =
            numbers[rng.below(numbers.len() as u64) as usize] / 10_000 * 10_000 + rng.below(10_000);
        if reg.lookup(n) == Lookup::NotRegistered {
            misses.push(n);
        }
    }
    (hits, misses)
}

/// A random cyclic permutation over `len` slots (Sattolo): following it is
/// one dependent random load a step, the baseline a lookup is held to.
fn chase_buffer(len: usize) -> Vec<u64> {
    let mut rng = Rng::new(5);
    let mut v: Vec<u64> = (0..len as u64).collect();
    for i in (1..len).rev() {
        let j = rng.below(i as u64) as usize;
        v.swap(i, j);
    }
    v
}

/// Waits until every earlier instruction has completed, so that one
/// operation's memory access cannot overlap the next one's (branch
/// prediction would otherwise run lookups ahead of their answers).
#[inline(always)]
fn serialize() {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: lfence has no memory effects; SSE2 is part of x86_64.
    #[allow(unused_unsafe)]
    unsafe {
        std::arch::x86_64::_mm_lfence()
    };
    #[cfg(not(target_arch = "x86_64"))]
    std::sync::atomic::fence(std::sync::atomic::Ordering::SeqCst);
}

/// Runs `CHAIN` lookups one at a time: each key is offset by the previous
/// answer's (always zero) residue, and each waits for the one before.
macro_rules! chain {
    ($keys:expr_2021, $start:expr_2021, |$k:ident| $body:expr_2021) => {{
        let keys: &[u64] = $keys;
        let mut dep = 0u64;
        let base = $start;
        for i in 0..CHAIN {
            let $k = keys[(base + i) % keys.len()] + dep;
            dep = $body;
            serialize();
        }
        dep
    }};
}

fn bench_set(c: &mut Criterion, name: &str, numbers: Vec<u64>, compare: bool) {
    let n = numbers.len() as u64;
    let t = Instant::now();
    let image = build(&numbers);
    let build_s = t.elapsed().as_secs_f64();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("{name}.dnc"));
    let t = Instant::now();
    write_atomic(&path, &image).unwrap();
    let write_s = t.elapsed().as_secs_f64();
    drop(image);
    let t = Instant::now();
    let reg = Registry::open(&path).unwrap();
    let open_s = t.elapsed().as_secs_f64();
    let bits = reg.size_bytes() as f64 * 8.0 / n as f64;
    eprintln!(
        "summary {name}: {n} numbers, {} bytes, {bits:.3} bits/number, build {build_s:.3} s, write+fsync {write_s:.3} s, open+verify {open_s:.3} s",
        reg.size_bytes()
    );
    let probe = (1usize << 20).min(numbers.len());
    let (hits, misses) = keys(&numbers, &reg, probe);

    // Interleaved rounds of the baseline and the lookups, so that load from
    // other processes on the machine hits both alike: medians of 31 rounds.
    {
        let buf = chase_buffer((reg.size_bytes() as usize / 8).max(1 << 20));
        let (mut base, mut hit, mut miss, mut cold) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut at = 0u64;
        let mut start = 0usize;
        for _ in 0..31 {
            let t = Instant::now();
            for _ in 0..CHAIN {
                at = buf[at as usize];
                serialize();
            }
            black_box(at);
            base.push(t.elapsed().as_nanos() as f64 / CHAIN as f64);
            // Right after the chase has flushed the caches: the index is cold.
            start += CHAIN;
            let t = Instant::now();
            black_box(chain!(&hits, start, |k| reg.lookup(k) as u64
                - Lookup::Registered as u64));
            cold.push(t.elapsed().as_nanos() as f64 / CHAIN as f64);
            // Then with the index warm, as on a host deciding all the time.
            for (keys, want, out) in [
                (&hits, Lookup::Registered, &mut hit),
                (&misses, Lookup::NotRegistered, &mut miss),
            ] {
                start += CHAIN;
                let t = Instant::now();
                black_box(chain!(keys, start, |k| reg.lookup(k) as u64 - want as u64));
                out.push(t.elapsed().as_nanos() as f64 / CHAIN as f64);
            }
        }
        let median = |v: &mut Vec<f64>| {
            v.sort_by(|a, b| a.total_cmp(b));
            v[v.len() / 2]
        };
        let (b, h, m) = (median(&mut base), median(&mut hit), median(&mut miss));
        let c = median(&mut cold);
        eprintln!(
            "summary {name}: interleaved medians: random load {b:.1} ns; index warm: hit {h:.1} ns ({:.2}x), miss {m:.1} ns ({:.2}x); index cold: hit {c:.1} ns ({:.2}x)",
            h / b,
            m / b,
            c / b
        );
    }

    let mut g = c.benchmark_group(format!("registry/{name}"));
    g.sample_size(10);
    g.throughput(Throughput::Elements(CHAIN as u64));
    // The baseline: one dependent random load into a buffer as large as the file.
    let buf = chase_buffer((reg.size_bytes() as usize / 8).max(1 << 20));
    let mut at = 0u64;
    g.bench_function("random_load", |b| {
        b.iter(|| {
            for _ in 0..CHAIN {
                at = buf[at as usize];
                serialize();
            }
            black_box(at)
        })
    });
    drop(buf);
    let mut start = 0usize;
    for (label, keys, want) in [
        ("hit", &hits, Lookup::Registered),
        ("miss", &misses, Lookup::NotRegistered),
    ] {
        g.bench_function(BenchmarkId::new("lookup", label), |b| {
            b.iter(|| {
                start += CHAIN;
                black_box(chain!(keys, start, |k| reg.lookup(k) as u64 - want as u64))
            })
        });
    }
    g.bench_function("throughput_mixed", |b| {
        b.iter(|| {
            start += CHAIN;
            let mut registered = 0u32;
            for i in 0..CHAIN / 2 {
                registered +=
                    (reg.lookup(hits[(start + i) % hits.len()]) == Lookup::Registered) as u32;
                registered +=
                    (reg.lookup(misses[(start + i) % misses.len()]) == Lookup::Registered) as u32;
            }
            black_box(registered)
        })
    });

    // A daily change list: 100,000 changes, half deletions of registered
    // numbers, half additions in live exchanges.
    let changes: Vec<(u64, bool)> = {
        let mut m = std::collections::BTreeMap::new();
        let (d, a) = (hits.len().min(50_000), misses.len().min(50_000));
        for &h in &hits[..d] {
            m.insert(h, false);
        }
        for &x in &misses[..a] {
            m.insert(x, true);
        }
        m.into_iter().collect()
    };
    let t = Instant::now();
    let next = apply_changes(&reg, &changes, as_of(), &[]);
    let apply_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    write_atomic(dir.path().join("next.dnc"), &next).unwrap();
    let apply_write_s = t.elapsed().as_secs_f64();
    drop(next);
    eprintln!(
        "summary {name}: apply {} changes {apply_s:.3} s, then write+fsync {apply_write_s:.3} s",
        changes.len()
    );
    g.throughput(Throughput::Elements(changes.len() as u64));
    g.bench_function("apply_daily_changes", |b| {
        b.iter(|| black_box(apply_changes(&reg, &changes, as_of(), &[]).len()))
    });
    g.throughput(Throughput::Elements(n));
    g.bench_function("build_sorted", |b| {
        b.iter(|| black_box(build(&numbers).len()))
    });

    if compare {
        g.throughput(Throughput::Elements(CHAIN as u64));
        let t = Instant::now();
        let ef = EliasFanoVec::from_slice(&numbers);
        let ef_build = t.elapsed().as_secs_f64();
        eprintln!(
            "summary {name}: vers-vecs Elias-Fano {:.3} bits/number, build {ef_build:.3} s",
            ef.heap_size() as f64 * 8.0 / n as f64
        );
        for (label, keys, want) in [("hit", &hits, 1u64), ("miss", &misses, 0)] {
            g.bench_function(BenchmarkId::new("elias_fano", label), |b| {
                b.iter(|| {
                    start += CHAIN;
                    black_box(chain!(keys, start, |k| u64::from(
                        ef.predecessor(k) == Some(k)
                    ) ^ want))
                })
            });
        }
        drop(ef);
        let t = Instant::now();
        let mut roaring = RoaringTreemap::new();
        for &x in &numbers {
            roaring.push(x);
        }
        let r_build = t.elapsed().as_secs_f64();
        eprintln!(
            "summary {name}: roaring {:.3} bits/number (serialized), build {r_build:.3} s",
            roaring.serialized_size() as f64 * 8.0 / n as f64
        );
        for (label, keys, want) in [("hit", &hits, 1u64), ("miss", &misses, 0)] {
            g.bench_function(BenchmarkId::new("roaring", label), |b| {
                b.iter(|| {
                    start += CHAIN;
                    black_box(chain!(keys, start, |k| u64::from(roaring.contains(k)) ^ want))
                })
            });
        }
    }
    g.finish();
}

fn wanted(set: &str) -> bool {
    std::env::var("DIALGATE_REGISTRY_BENCH_SETS")
        .map(|s| s.split(',').any(|x| x.trim() == set))
        .unwrap_or(true)
}

fn compare() -> bool {
    std::env::var("DIALGATE_REGISTRY_BENCH_COMPARE")
        .map(|v| v != "0")
        .unwrap_or(true)
}

fn registry(c: &mut Criterion) {
    let n = env_n();
    if wanted("clustered32") {
        bench_set(c, "clustered32", clustered(n, 0.32, 1), compare());
    }
    if wanted("clustered18") {
        bench_set(c, "clustered18", clustered(n, 0.18, 2), compare());
    }
    if wanted("uniform") {
        bench_set(c, "uniform", uniform(n, 3), compare());
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(std::time::Duration::from_secs(1)).measurement_time(std::time::Duration::from_secs(3));
    targets = registry
}
criterion_main!(benches);
