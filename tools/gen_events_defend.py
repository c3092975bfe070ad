"""Elastic Defend-shaped events for tools/gen_events.py --defend (issue 21).

Adds what Elastic Defend's behavior rules read (protections-artifacts, behavior/rules) to
the generator's stream, on Windows hosts, with field names and shapes as in the
endpoint-package sample events (schemas/endpoint-package/<data stream>/sample_event.json):

- process trees: a started process names a parent that started before it on the same host
  (process.parent.entity_id is that process's process.entity_id, with its name, executable
  and pid), process.Ext.ancestry lists the ancestors' entity ids nearest first, and an end
  event ends a process that was started (the same entity id), so `descendant of` and
  `child of` have chains to follow;
- api events (event.category ["api"]): process.Ext.api.{name, behaviors, summary,
  parameters.*, metadata.*}, Target.process.*, process.thread.Ext.call_stack[] and
  call_stack_summary;
- library events (event.category ["library"], event.action "load"): dll.{name, path,
  hash.*, code_signature.*, pe.*, Ext.relative_file_creation_time, ...};
- file events with file.Ext.{entropy, header_bytes, monotonic_id, device, windows}.

Linux and macOS hosts keep the generator's own events. The default stream (without
--defend) does not go through this module, so it stays byte for byte what it was.
"""
import gen_events as base

# name, executable, signer, arguments after argv[0]; the first ones are the usual roots
WINDOWS_PROGRAMS = [
    ("explorer.exe", "C:\\Windows\\explorer.exe", "Microsoft Windows", []),
    ("services.exe", "C:\\Windows\\System32\\services.exe", "Microsoft Windows", []),
    ("svchost.exe", "C:\\Windows\\System32\\svchost.exe", "Microsoft Windows", ["-k", "netsvcs", "-p"]),
    ("cmd.exe", "C:\\Windows\\System32\\cmd.exe", "Microsoft Windows", ["/c", "whoami"]),
    ("powershell.exe", "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe", "Microsoft Windows",
     ["-NoProfile", "-Command", "Get-Process"]),
    ("WINWORD.EXE", "C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE", "Microsoft Corporation",
     ["/n", "C:\\Users\\{u}\\Documents\\report.docx"]),
    ("msiexec.exe", "C:\\Windows\\System32\\msiexec.exe", "Microsoft Windows", ["/i", "C:\\Users\\{u}\\Downloads\\setup.msi"]),
    ("rundll32.exe", "C:\\Windows\\System32\\rundll32.exe", "Microsoft Windows", ["shell32.dll,Control_RunDLL"]),
    ("chrome.exe", "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe", "Google LLC", ["--type=renderer"]),
    ("conhost.exe", "C:\\Windows\\System32\\conhost.exe", "Microsoft Windows", ["0xffffffff", "-ForceV1"]),
    ("wscript.exe", "C:\\Windows\\System32\\wscript.exe", "Microsoft Windows", ["C:\\Users\\{u}\\Downloads\\invoice.js"]),
    ("updater.exe", "C:\\Users\\{u}\\AppData\\Local\\Temp\\updater.exe", None, ["--silent"]),
]
API_CALLS = [  # name, behaviors, summary form, parameters
    ("VirtualProtect", ["cross-process", "execute_shellcode"], "VirtualProtect( Self, ntdll.dll!NtAllocateVirtualMemory, 0x{size:x}, RWX, R-X )",
     {"protection": "RWX", "protection_old": "R-X"}),
    ("VirtualAlloc", ["native_api"], "VirtualAlloc( NULL, 0x{size:x}, COMMIT, RW- )", {"protection": "RW-"}),
    ("WriteProcessMemory", ["cross-process", "hollow_image"], "WriteProcessMemory( {target}, Unbacked, 0x{size:x} )", {}),
    ("OpenProcess", ["cross-process"], "OpenProcess( {target}, PROCESS_VM_READ )",
     {"desired_access": ["PROCESS_QUERY_LIMITED_INFORMATION", "PROCESS_VM_READ"], "desired_access_numeric": 4112}),
    ("AmsiScanBuffer", ["amsi"], "AmsiScanBuffer( PowerShell, 0x{size:x} )", {"app_name": "PowerShell_C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe_10.0.19041.1"}),
    ("SetWindowsHookEx", ["rapid_background_polling"], "SetWindowsHookEx( WH_KEYBOARD_LL, Unbacked )", {"hook_type": "WH_KEYBOARD_LL"}),
]
DLLS = [  # name, folder, signer (None: unsigned)
    ("ntdll.dll", "C:\\Windows\\System32", "Microsoft Windows"),
    ("kernel32.dll", "C:\\Windows\\System32", "Microsoft Windows"),
    ("amsi.dll", "C:\\Windows\\System32", "Microsoft Windows"),
    ("vaultcli.dll", "C:\\Windows\\System32", "Microsoft Windows"),
    ("msxml3.dll", "C:\\Windows\\System32", "Microsoft Windows"),
    ("version.dll", "C:\\Users\\{u}\\AppData\\Local\\Temp", None),
    ("libcurl.dll", "C:\\ProgramData\\Vendor\\bin", None),
]
CALL_STACK_SUMMARY = "ntdll.dll|kernelbase.dll|kernel32.dll|{image}|kernel32.dll|ntdll.dll"
HEADERS = ["4d5a90000300000004000000ffff0000", "504b0304140006000800000021000000", "7b0d0a20202274797065223a20226576",
           "25504446", "d0cf11e0a1b11ae1000000000000000"]
LIVE_PER_HOST = 64  # running processes a host remembers (to name as parents and to end)


class DefendGenerator(base.Generator):
    def __init__(self, args):
        super().__init__(args)
        weights = base.CATEGORY_WEIGHTS + [("api", 10), ("library", 12)]
        self.categories = [c for c, w in weights for _ in range(w)]
        self.monotonic = 0

    # ---- process trees ------------------------------------------------------------------

    def live(self, host):
        if not hasattr(host, "live"):
            host.live = []  # running processes, oldest first: dicts with process fields
        return host.live

    def spawn(self, host, millis):
        """A new running process whose parent is a running process of the host (or a root)."""
        live = self.live(host)
        if live and self.rng.random() < 0.85:
            parent = live[-1 - min(int(self.rng.expovariate(0.5)), len(live) - 1)]  # mostly recent
            name, exe, signer, args = WINDOWS_PROGRAMS[2 + self.rng.randrange(len(WINDOWS_PROGRAMS) - 2)]
        else:
            parent = None
            name, exe, signer, args = WINDOWS_PROGRAMS[self.rng.randrange(2)]
        user_name = self.rng.choice(host.users)
        args = [a.replace("{u}", user_name) for a in args]
        exe = exe.replace("{u}", user_name)
        user = host.user(user_name)
        if parent is None:
            process = self.process_fields(host, name, exe, args, "wininit.exe", "C:\\Windows\\System32\\wininit.exe", signer, user)
            process["Ext"] = {"ancestry": [process["parent"]["entity_id"]]}
        else:
            process = self.process_fields(host, name, exe, args, parent["name"], parent["executable"], signer, user)
            process["parent"].update(pid=parent["pid"], entity_id=parent["entity_id"], args=parent["args"],
                                     command_line=parent["command_line"], args_count=parent["args_count"])
            process["Ext"] = {"ancestry": ([parent["entity_id"]] + parent["Ext"]["ancestry"])[:20]}
        process["Ext"]["token"] = {"integrity_level_name": self.rng.choice(("medium", "high", "system"))}
        if signer:
            process["Ext"]["code_signature"] = [dict(process["code_signature"])]
        live.append(process)
        if len(live) > LIVE_PER_HOST:
            del live[0]
        self.remember(host, process)
        return process, user

    def background_process(self, host, millis, remember_only=False):
        if host.os_type != "windows" or remember_only:
            return super().background_process(host, millis, remember_only)
        live = self.live(host)
        if len(live) > 8 and self.rng.random() < 0.25:  # an end of a running process
            process = live.pop(self.rng.randrange(len(live)))
            event = self.base(host, millis, "process", ["end"], "end")
            event["process"] = process
            event["user"] = host.user(host.users[0])
        else:
            process, user = self.spawn(host, millis)
            event = self.base(host, millis, "process", ["start"], "start")
            event["process"] = process
            event["user"] = user
        event["message"] = "Endpoint process event"
        return event

    def acting_process(self, host, millis):
        """A running process of the host as other events name it, with its thread."""
        live = self.live(host)
        p = self.rng.choice(live) if live else self.spawn(host, millis)[0]
        image = p["name"].lower()
        return {"name": p["name"], "executable": p["executable"], "pid": p["pid"], "entity_id": p["entity_id"],
                "parent": {"entity_id": p["parent"]["entity_id"], "pid": p["parent"]["pid"], "name": p["parent"]["name"]},
                "code_signature": p.get("code_signature", {"exists": False}),
                "Ext": {"ancestry": p["Ext"]["ancestry"]},
                "thread": {"id": 100 + self.rng.randrange(20000), "Ext": {
                    "call_stack_summary": CALL_STACK_SUMMARY.format(image=image),
                    "call_stack": [{"symbol_info": "C:\\Windows\\System32\\ntdll.dll!NtProtectVirtualMemory+0x14",
                                    "protection": "R-X"},
                                   {"symbol_info": "%s+0x%x" % (p["executable"], self.rng.randrange(1 << 20)),
                                    "protection": self.rng.choice(("R-X", "R-X", "RWX"))},
                                   {"symbol_info": "C:\\Windows\\System32\\ntdll.dll!RtlUserThreadStart+0x21",
                                    "protection": "R-X"}]}}}

    # ---- api, library and file events -----------------------------------------------------

    def background_api(self, host, millis):
        if host.os_type != "windows":
            return self.background_file(host, millis)
        name, behaviors, summary, parameters = self.rng.choice(API_CALLS)
        event = self.base(host, millis, "api", ["info"], None, dataset="endpoint.events.api")
        del event["event"]["action"]  # Defend's api events have none
        event["event"]["provider"] = "Microsoft-Windows-Threat-Intelligence"
        process = self.acting_process(host, millis)
        target = self.rng.choice(self.live(host))
        size = 0x1000 * (1 + self.rng.randrange(64))
        api = {"name": name, "behaviors": behaviors,
               "summary": summary.format(size=size, target=target["name"]),
               "parameters": dict(parameters, size=size, address=0x7FF000000000 + self.rng.randrange(1 << 32)),
               "metadata": {"target_address_name": self.rng.choice(("Unbacked", "ntdll.dll", "kernelbase.dll")),
                            "target_address_path": "c:\\windows\\system32\\ntdll.dll"}}
        process["Ext"]["api"] = api
        event["process"] = process
        event["Target"] = {"process": {"name": target["name"], "executable": target["executable"], "pid": target["pid"],
                                       "entity_id": target["entity_id"]}}
        event["user"] = host.user(self.rng.choice(host.users))
        event["message"] = "Endpoint API event - %s" % name
        return event

    def background_library(self, host, millis):
        if host.os_type != "windows":
            return self.background_file(host, millis)
        name, folder, signer = self.rng.choice(DLLS)
        user_name = self.rng.choice(host.users)
        path = "%s\\%s" % (folder.replace("{u}", user_name), name)
        event = self.base(host, millis, "library", ["start"], "load", dataset="endpoint.events.library")
        signature = ({"subject_name": signer, "trusted": True, "exists": True, "status": "trusted"} if signer
                     else {"exists": False, "trusted": False, "status": "errorCode_endpoint: Initital state, no attempt to load signature was made"})
        created = round(self.rng.uniform(10, 5e7), 4)
        event["dll"] = {"name": name, "path": path, "code_signature": signature,
                        "hash": {"md5": base.hex_of(path, 16), "sha1": base.hex_of("1" + path, 20),
                                 "sha256": base.hex_of("256" + path, 32)},
                        "pe": {"original_file_name": name.upper(), "imphash": base.hex_of("imp" + name, 16)},
                        "Ext": {"code_signature": [signature], "load_index": 1 + self.rng.randrange(4),
                                "relative_file_creation_time": created,
                                "relative_file_name_modify_time": created,
                                "device": {"volume_device_type": "Disk File System"},
                                "size": 4096 * (1 + self.rng.randrange(512))}}
        event["process"] = self.acting_process(host, millis)
        event["user"] = host.user(user_name)
        event["message"] = "Endpoint DLL load event"
        return event

    def background_file(self, host, millis):
        event = super().background_file(host, millis)
        if host.os_type != "windows":
            return event
        self.monotonic += 1
        event["file"]["Ext"] = {"entropy": round(self.rng.uniform(0.5, 7.99), 6),
                                "header_bytes": self.rng.choice(HEADERS),
                                "monotonic_id": self.monotonic,
                                "device": {"volume_device_type": "Disk File System"},
                                "windows": {"zone_identifier": self.rng.choice((-1, -1, 3))}}
        event["process"] = self.acting_process(host, millis)
        return event
