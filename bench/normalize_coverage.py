import time, sys, collections, json
from pathlib import Path
sys.path.insert(0, '.')
from loader.normalize import Normalizer
from loader.sigma import SigmaLoader
from loader.splunk import SplunkLoader
from loader.elastic import ElasticLoader
n=Normalizer.load(Path('/work/shared/corpora/elastic/detection_rules/etc/ecs_schemas/9.5.0/ecs_flat.json.gz'))
out={}
for cls,v in ((SigmaLoader,'sigma'),(ElasticLoader,'elastic'),(SplunkLoader,'splunk')):
    L=cls(Path('/work/shared/corpora')/v)
    n.use_data_sources(L.data_sources())
    rules=[r for f in L.files() for r in L.parse_file(f).rules]
    t=time.perf_counter()
    kinds=collections.Counter(); ev=0; unm=collections.Counter(); noev=collections.Counter()
    for r in rules:
        for p,c in zip(r.predicates, n.canonical(r)):
            kinds[c.field_kind]+=1
            if c.field_kind=='unmapped': unm[c.vendor_field]+=1
        if n.events(r): ev+=1
        else:
            t_=r.telemetry; noev[(t_.product,t_.category,t_.service) if v=='sigma' else tuple(t_.index_patterns[:3]) if v=='elastic' else tuple(t_.data_sources[:2])]+=1
    tot=sum(kinds.values()); withf=tot-kinds['none']-kinds['aggregate']
    print(v, len(rules), dict(kinds), f"mapped {(kinds['ecs']+kinds['extension'])/withf:.1%} of {withf}", "with events", ev, f"{ev/len(rules):.1%}", f"{time.perf_counter()-t:.2f}s")
    out[v]={'unmapped':unm.most_common(400),'noevents':[(list(k),c) for k,c in noev.most_common(200)]}
json.dump(out, open('/tmp/norm_stats.json','w'), indent=0)
