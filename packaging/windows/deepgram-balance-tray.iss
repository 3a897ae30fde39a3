; Inno Setup 6 script: the Windows installer for the one-folder bundle in dist\deepgram-tray\.
; Built by packaging\build-windows.ps1, which passes the version:
;   ISCC.exe /DAppVersion=0.1.0 packaging\windows\deepgram-balance-tray.iss
;
; A per-user install (no administrator rights): the app reads the user's keyring and starts at
; the user's login, so there is nothing machine-wide about it.

#ifndef AppVersion
  #error Pass the version: ISCC.exe /DAppVersion=X.Y.Z deepgram-balance-tray.iss
#endif

; The bundle to package: build-windows.ps1's dist\deepgram-tray\ unless /DBundleDir= names another
; (packaging/build-windows-under-wine.sh builds it into dist/windows/).
#ifndef BundleDir
  #define BundleDir "..\..\dist\deepgram-tray"
#endif

#define AppName "Deepgram Balance"
#define WindowedProgram "deepgram-tray-gui.exe"
#define ConsoleProgram "deepgram-tray.exe"

[Setup]
; Never change AppId: it is how an update finds the installed copy.
AppId={{E6B4865E-FCF9-4C2D-AA96-612429CE4730}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=deepgram-balance-tray contributors
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
SetupIconFile=..\..\assets\windows\deepgram-balance-tray.ico
UninstallDisplayIcon={app}\{#WindowedProgram}
UninstallDisplayName={#AppName}
OutputDir=..\..\dist
OutputBaseFilename=deepgram-balance-tray-{#AppVersion}-windows-setup
Compression=lzma2
SolidCompression=yes
WizardStyle=modern

[Tasks]
Name: "startatlogin"; Description: "Start {#AppName} when I sign in"; GroupDescription: "Start:"

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
; An update replaces the bundle whole: files a newer version no longer ships must not linger.
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#WindowedProgram}"; Comment: "Your Deepgram prepaid balance in the notification area"
Name: "{autoprograms}\{#AppName} settings"; Filename: "{app}\{#WindowedProgram}"; Parameters: "settings"; Comment: "API key, thresholds and projects"

[Run]
; Start at login is the app's own HKCU Run entry, the same one its menu check box turns on and off.
Filename: "{app}\{#ConsoleProgram}"; Parameters: "autostart enable"; Flags: runhidden; Tasks: startatlogin
Filename: "{app}\{#WindowedProgram}"; Description: "Start {#AppName} now"; Flags: nowait postinstall skipifsilent

[UninstallRun]
; First the tray is asked to quit as its Quit item does (`stop` waits until it has): it takes its
; icon out of the notification area, where a killed tray's icon lingers until the mouse passes.
; Then whatever still runs is ended: the console program runs too while the tray does (its fetch
; worker, its settings and history windows), each holding the bundle's files open, which would
; then be left behind.
Filename: "{app}\{#ConsoleProgram}"; Parameters: "stop"; Flags: runhidden; RunOnceId: "AskTrayToQuit"
Filename: "{sys}\taskkill.exe"; Parameters: "/F /IM {#WindowedProgram}"; Flags: runhidden; RunOnceId: "StopTray"
Filename: "{sys}\taskkill.exe"; Parameters: "/F /IM {#ConsoleProgram}"; Flags: runhidden; RunOnceId: "StopConsoleProgram"
Filename: "{app}\{#ConsoleProgram}"; Parameters: "autostart disable"; Flags: runhidden; RunOnceId: "StopStartAtLogin"

[Code]
// A running tray keeps its files open, and a tray icon has no window for the Restart Manager
// to close politely. Before files are replaced the installed tray is asked to quit as its Quit
// item does (`stop` waits until it has, at most 15 s), so its icon leaves the notification area
// (a killed tray's icon lingers there until the mouse passes over it); then whatever still runs
// is ended: a tray that did not quit, the console program (the tray's fetch worker, settings and
// history windows). Settings are written atomically, so ending either never loses any.
procedure AskTrayToQuit();
var
  ResultCode: Integer;
  Installed: String;
begin
  Installed := ExpandConstant('{app}\{#ConsoleProgram}');
  if FileExists(Installed) then
    Exec(Installed, 'stop', '', SW_HIDE, ewWaitUntilTerminated, ResultCode);
end;

procedure StopProgram(const Name: String);
var
  ResultCode: Integer;
begin
  Exec(ExpandConstant('{sys}\taskkill.exe'), '/F /IM ' + Name, '', SW_HIDE,
    ewWaitUntilTerminated, ResultCode);
end;

function PrepareToInstall(var NeedsRestart: Boolean): String;
begin
  AskTrayToQuit();
  StopProgram('{#WindowedProgram}');
  StopProgram('{#ConsoleProgram}');
  Result := '';
end;
