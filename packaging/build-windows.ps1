# Build the Windows bundle and its installer:
#   dist\deepgram-tray\                              the one-folder bundle (two programs, see the spec)
#   dist\deepgram-balance-tray-<v>-windows.zip       the same, portable
#   dist\deepgram-balance-tray-<v>-windows-setup.exe the installer (needs Inno Setup 6)
# Usage, from any folder:  powershell -ExecutionPolicy Bypass -File packaging\build-windows.ps1
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..")

if (-not (Test-Path build\venv\Scripts\python.exe)) { py -3 -m venv build\venv }
$python = "build\venv\Scripts\python.exe"
& $python -m pip install --quiet --disable-pip-version-check . "pyinstaller>=6.3"
if ($LASTEXITCODE -ne 0) { throw "pip install failed" }
& $python -m PyInstaller --noconfirm --log-level WARN `
  --distpath dist --workpath build\pyinstaller packaging\deepgram-tray.spec
if ($LASTEXITCODE -ne 0) { throw "PyInstaller failed" }

$version = (& $python -c "import trayapp; print(trayapp.__version__)").Trim()
& dist\deepgram-tray\deepgram-tray.exe --version
if ($LASTEXITCODE -ne 0) { throw "the bundle does not start" }

Compress-Archive -Force -Path dist\deepgram-tray -DestinationPath "dist\deepgram-balance-tray-$version-windows.zip"

$iscc = Get-Command iscc.exe -ErrorAction SilentlyContinue
if ($iscc) { $iscc = $iscc.Source } else { $iscc = "${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe" }
if (-not (Test-Path $iscc)) { throw "Inno Setup 6 is needed for the installer: https://jrsoftware.org/isinfo.php" }
& $iscc /Qp "/DAppVersion=$version" packaging\windows\deepgram-balance-tray.iss
if ($LASTEXITCODE -ne 0) { throw "Inno Setup failed" }
Write-Host "Built dist\deepgram-tray\, the zip and the installer for $version"
