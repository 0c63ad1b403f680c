#!/usr/bin/env python3
"""Writes the image lists of the issue-4 measurements to tools/out/checks/ (paths relative to ../shared/data).
Usage: python3 tools/fit-checks/make-lists.py   (from the repo root)"""
import csv, os, random

D = os.environ.get('SHARED_DATA', '../shared/data')
OUT = 'tools/out/checks'
os.makedirs(OUT, exist_ok=True)
tags = {}
for r in csv.DictReader(open(f'{D}/lfw/helper_visual_tags.csv')):
    tags.setdefault(r['file'], []).append(r['tag'])
tagged_ids = {f.split('/')[1] for f in tags}
ids = sorted(os.listdir(f'{D}/lfw/images'))
random.seed(4)
plain = [i for i in ids if i not in tagged_ids]
random.shuffle(plain)
first = lambda i: f'lfw/images/{i}/{sorted(os.listdir(f"{D}/lfw/images/{i}"))[0]}'
# More LFW photos tagged by eye (hats and caps, sunglasses, head coverings) for training only, of identities in no other
# list; appended after every other row, so the existing rows keep their splits.
extra = sorted({r['file'] for r in csv.DictReader(open('tools/fit-checks/lfw-extra-tags.csv'))})
assert not {f.split('/')[1] for f in extra} & (tagged_ids | set(plain[:600])), 'an extra photo of a listed identity'
occlusion = [f'occlusion/{k}/{f}' for k in ['mask', 'sunglasses'] for f in sorted(os.listdir(f'{D}/occlusion/{k}')) if not f.endswith('.csv')]
open(f'{OUT}/attributes.txt', 'w').write('\n'.join(occlusion + ['lfw/' + f for f in tags] + [first(i) for i in plain[:400]] + ['lfw/' + f for f in extra]) + '\n')
open(f'{OUT}/quality.txt', 'w').write('\n'.join(first(i) for i in plain[400:600]) + '\n')
nuaa = [r['file'] for r in csv.DictReader(open(f'{D}/antispoof_nuaa/labels.csv'))]
mini = sorted(f for f in os.listdir(f'{D}/antispoof_minivision') if f.endswith('.jpg'))
open(f'{OUT}/liveness.txt', 'w').write('\n'.join([f'antispoof_nuaa/{f}' for f in nuaa] + [f'antispoof_minivision/{f}' for f in mini]) + '\n')
# Synthetic-occlusion training copies (tools/fit-checks/harness.ts kinds synthmask, synthglasses): only faces of the
# attribute heads' TRAIN split — every other plain LFW face of attributes.txt (the 1st, 3rd, …, as
# analyze-attributes.mjs splits them) and the live NUAA frames of odd subject ids.
live_odd = [f'antispoof_nuaa/{r["file"]}' for r in csv.DictReader(open(f'{D}/antispoof_nuaa/labels.csv')) if r['label'] == 'real' and int(r['subject_id']) % 2 == 1]
open(f'{OUT}/synthetic.txt', 'w').write('\n'.join([first(i) for i in plain[:400]][0::2] + live_odd) + '\n')
# Bona fide portraits from other sources (studio, phone and web photos; no attacks): how often the liveness and
# eye-state models refuse faces that are not NUAA webcam frames.
portraits = [f'human_samples/portraits/{f}' for f in sorted(os.listdir(f'{D}/human_samples/portraits')) if f.endswith('.jpg')]
deepface = [f'deepface_tests/images/{f}' for f in sorted(os.listdir(f'{D}/deepface_tests/images')) if f.endswith('.jpg')]
open(f'{OUT}/bonafide.txt', 'w').write('\n'.join(portraits + deepface) + '\n')
# Headwear (hat, head scarf, veil) for the hat and veil heads: every file of the three occlusion folders, split by
# analyze-attributes.mjs like the other folders (every other file by name: odd positions train, even ones test).
headwear = [f'occlusion/{k}/{f}' for k in ['hat', 'headscarf', 'veil'] for f in sorted(os.listdir(f'{D}/occlusion/{k}')) if not f.endswith('.csv')]
open(f'{OUT}/headwear.txt', 'w').write('\n'.join(headwear) + '\n')
# Head crops (measure.mjs --head-only 1) of every face the attribute heads train or report on.
live = [f'antispoof_nuaa/{r["file"]}' for r in csv.DictReader(open(f'{D}/antispoof_nuaa/labels.csv')) if r['label'] == 'real']
open(f'{OUT}/heads.txt', 'w').write('\n'.join(occlusion + ['lfw/' + f for f in tags] + [first(i) for i in plain[:400]] + headwear + live + ['lfw/' + f for f in extra]) + '\n')
open(f'{OUT}/lfw-extra.txt', 'w').write('\n'.join('lfw/' + f for f in extra) + '\n')
