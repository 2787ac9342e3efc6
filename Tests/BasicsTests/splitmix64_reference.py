# Independent reference for SplitMix64Tests (plain Python integers, no project code):
# the SplitMix64 stream (Vigna, splitmix64.c), the keyed derivation and the bounded-draw rule.
# Run: python3 Tests/BasicsTests/splitmix64_reference.py
M=(1<<64)-1
def splitmix64(state):
    while True:
        state=(state+0x9E3779B97F4A7C15)&M
        z=state
        z=((z^(z>>30))*0xBF58476D1CE4E5B9)&M
        z=((z^(z>>27))*0x94D049BB133111EB)&M
        yield z^(z>>31)
def mix(x):
    return next(splitmix64(x))
for seed in (0,1):
    g=splitmix64(seed); print(seed,[hex(next(g)) for _ in range(4)])
# keyed: s = seed; for key: s = mix(s ^ mix(key))
def keyed(seed,keys):
    s=seed
    for k in keys: s=mix(s^mix(k))
    return s
s=keyed(7,[3,10,42]); g=splitmix64(s); print('keyed',hex(s),[hex(next(g)) for _ in range(2)])
# bounded rule: x >= 2^64 mod n -> x mod n
def bounded(gen,n):
    t=(1<<64)%n
    while True:
        x=next(gen)
        if x>=t: return x%n
g=splitmix64(0); print('bounded seed0 n=10',[bounded(g,10) for _ in range(8)])
