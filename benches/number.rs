//! `NumberReader::read` against plain `phonenumber` (parse, `is_valid`,
//! E.164 format) on the same corpora: 10,000 varied US numbers in mixed
//! formats, and numbers of 60+ countries. One number per iteration, cycling.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use dialgate::phone::corpus;
use dialgate::{NumberReader, Region};

const CORPUS: usize = 10_000;

/// What a caller of `phonenumber` does without this crate.
fn phonenumber_read(text: &str, region: Region) -> Option<String> {
    let number = phonenumber::parse(Some(region.id()), text).ok()?;
    if !phonenumber::is_valid(&number) {
        return None;
    }
    Some(number.format().mode(phonenumber::Mode::E164).to_string())
}

fn next<'a>(items: &mut impl Iterator<Item = &'a (String, Region)>) -> (&'a str, Region) {
    items
        .next()
        .map_or(("", Region::US), |(t, r)| (t.as_str(), *r))
}

fn bench(c: &mut Criterion) {
    let us: Vec<(String, Region)> = corpus::us_corpus(CORPUS, 1)
        .into_iter()
        .map(|t| (t, Region::US))
        .collect();
    let intl = corpus::intl_corpus(CORPUS, 2);
    let reader = NumberReader::new();
    for (name, set) in [("us", &us), ("intl", &intl)] {
        let fast = set.iter().filter(|(t, r)| reader.is_fast(t, *r)).count();
        let valid = set
            .iter()
            .filter(|(t, r)| reader.read(t, *r).is_ok())
            .count();
        eprintln!(
            "{name}: {} texts, {valid} valid, {fast} on the fast path",
            set.len()
        );
    }

    let mut group = c.benchmark_group("number");
    group.throughput(Throughput::Elements(1));
    for (name, set) in [("us", &us), ("intl", &intl)] {
        // Criterion calls the closure once per sample: the cycle lives
        // outside it so every sample moves on through the whole corpus
        // (restarting would keep revisiting its first few countries).
        let mut items = set.iter().cycle();
        group.bench_function(format!("dialgate_{name}"), |b| {
            b.iter(|| {
                let (text, region) = next(&mut items);
                black_box(reader.read(black_box(text), region))
            });
        });
        let mut items = set.iter().cycle();
        group.bench_function(format!("phonenumber_{name}"), |b| {
            b.iter(|| {
                let (text, region) = next(&mut items);
                black_box(phonenumber_read(black_box(text), region))
            });
        });
    }
    group.finish();

    // No cliff as countries are added: the same reader over the first 5,
    // 20 and all of the corpus' countries (phonenumber's regex cache is what
    // fell off one past about ten).
    let mut regions: Vec<Region> = Vec::new();
    for (_, r) in &intl {
        if !regions.contains(r) {
            regions.push(*r);
        }
    }
    let mut group = c.benchmark_group("number_countries");
    group.throughput(Throughput::Elements(1));
    for k in [5, 20, regions.len()] {
        let chosen = regions.get(..k).unwrap_or(&regions);
        let set: Vec<(String, Region)> = intl
            .iter()
            .filter(|(_, r)| chosen.contains(r))
            .cloned()
            .collect();
        let mut items = set.iter().cycle();
        group.bench_function(format!("dialgate/{k}"), |b| {
            b.iter(|| {
                let (text, region) = next(&mut items);
                black_box(reader.read(black_box(text), region))
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
