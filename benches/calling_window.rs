//! The calling-window stage (contract step 8) alone: an open decision in a
//! one-zone and a two-zone area code, and a closed one that computes
//! `retry_at` (next_open). `decide/*` in benches/decide.rs measures whole
//! decisions.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use dialgate::calling::CallingRules;
use dialgate::pipeline::calling_window;
use dialgate::{Data, E164};

fn bench(c: &mut Criterion) {
    let rules = CallingRules::federal_and_states();
    let data = Data::new();
    // Mon 2026-12-07 16:00Z: 11:00 in New York and Miami, 09:00 in Boise, 08:00 in Los Angeles.
    let open = dialgate::timefmt::parse("2026-12-07T16:00:00Z").unwrap_or_default();
    let closed = dialgate::timefmt::parse("2026-12-08T02:30:00Z").unwrap_or_default();
    let miami = E164::from_digits(13055550100);
    let idaho = E164::from_digits(12085550100);
    let (Some(miami), Some(idaho)) = (miami, idaho) else {
        return;
    };
    let mut group = c.benchmark_group("calling_window");
    group.throughput(Throughput::Elements(1));
    group.bench_function("one_zone", |b| {
        b.iter(|| {
            calling_window::check(Some(&rules), None, black_box(miami), &data, black_box(open))
        })
    });
    group.bench_function("two_zones", |b| {
        b.iter(|| {
            calling_window::check(Some(&rules), None, black_box(idaho), &data, black_box(open))
        })
    });
    group.bench_function("next_open", |b| {
        b.iter(|| {
            calling_window::check(
                Some(&rules),
                None,
                black_box(miami),
                &data,
                black_box(closed),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
