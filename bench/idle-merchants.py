# The background loop's cost for merchants with nothing due: PUT N merchants with frozen clocks, then print the
# emulator's CPU over 20 s. Usage (from the repository root): python3 bench/idle-merchants.py path/to/Emulator.dll 3000
import subprocess, sys, time, json, os, tempfile, urllib.request, base64
dll=sys.argv[1]; n=int(sys.argv[2]); port=5377
data=tempfile.mkdtemp()
env=dict(os.environ, Emulator__DataDirectory=data)
p=subprocess.Popen(["dotnet",dll,"--urls",f"http://127.0.0.1:{port}","--Logging:LogLevel:Default=Warning"],env=env,stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL)
base=f"http://127.0.0.1:{port}"
for i in range(200):
    try: urllib.request.urlopen(base+"/_emulator/v1/health"); break
    except Exception: time.sleep(0.1)
key=open('fixtures/keys/merchant-public.spki.b64').read().strip()
for i in range(n):
    body=json.dumps({"publicKey":key,"clock":{"frozenAt":"2027-01-01T00:00:00Z"}}).encode()
    req=urllib.request.Request(f"{base}/_emulator/v1/merchants/IDLE{i:06d}",data=body,method="PUT",headers={"content-type":"application/json"})
    urllib.request.urlopen(req).read()
def cpu():
    f=open(f"/proc/{p.pid}/stat").read().split(")")[1].split()
    return (int(f[11])+int(f[12]))/os.sysconf('SC_CLK_TCK')
time.sleep(3); c0=cpu(); t0=time.time(); time.sleep(20); c1=cpu()
print(f"{dll}: {n} idle merchants, emulator CPU {c1-c0:.2f} s over {time.time()-t0:.0f} s ({100*(c1-c0)/(time.time()-t0):.1f}% of a core)")
p.terminate(); p.wait()
