# shellcheck shell=bash
# Sourced by scripts that need one pinned Debian package without touching the machine's apt setup
# (scripts/build-guest.sh for the kernel, scripts/fetch-containerd.sh for containerd 1.7 and 2.x).
#
# debian_package_fetch CACHE SUITE PACKAGE VERSION
#   Prints the path of CACHE/debs/PACKAGE_VERSION_amd64.deb, downloading it first when it is not
#   there yet: `apt-get download` against a private sources list (SUITE main of $archive), private
#   lists, cache and preferences under CACHE/apt/SUITE, so the machine's sources and state stay as
#   they are. A cached .deb is used as is: no network once it has been fetched.
debian_package_fetch() {
  local cache=$1 suite=$2 package=$3 version=$4
  local archive=${GUESTPULL_DEBIAN_ARCHIVE:-http://deb.debian.org/debian}
  local deb_dir=$cache/debs
  # dpkg's file names carry the version without its epoch and with ':' escaped; none of our pins has one.
  local deb=$deb_dir/${package}_${version}_amd64.deb
  if [[ ! -f $deb ]]; then
    # bookworm keeps the directory earlier versions of build-guest.sh used, so an existing cache stays valid.
    local apt_root=$cache/apt
    [[ $suite == bookworm ]] || apt_root=$cache/apt-$suite
    mkdir -p "$apt_root"/{lists/partial,cache/archives/partial,sources.list.d,preferences.d} "$deb_dir"
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $archive $suite main" > "$apt_root/sources.list"
    local apt_options=(-o "Dir::Etc::SourceList=$apt_root/sources.list" -o "Dir::Etc::SourceParts=$apt_root/sources.list.d"
                       -o "Dir::Etc::Preferences=$apt_root/preferences" -o "Dir::Etc::PreferencesParts=$apt_root/preferences.d"
                       -o "Dir::State::Lists=$apt_root/lists" -o "Dir::Cache=$apt_root/cache" -o "Debug::NoLocking=1"
                       -o "APT::Sandbox::User=$(id -un)")
    echo "debian-package: downloading $package=$version from $archive $suite" >&2
    apt-get "${apt_options[@]}" -qq update >&2
    local download
    download=$(mktemp -d "$deb_dir/.download.XXXXXX")
    (cd "$download" && apt-get "${apt_options[@]}" -qq download "$package=$version" >&2) || {
      rm -rf "$download"
      echo "debian-package: $package=$version is not in $archive $suite main any more; move the pin to the version 'apt-cache policy $package' shows there" >&2
      return 1
    }
    mv "$download"/*.deb "$deb"
    rmdir "$download"
  fi
  printf '%s\n' "$deb"
}

# debian_package_extract DEB TARGET
#   Unpacks DEB (`dpkg-deb -x`) into TARGET unless TARGET exists; the tree appears in one rename, so a
#   reader never sees half of it.
debian_package_extract() {
  local deb=$1 target=$2
  [[ -d $target ]] && return 0
  mkdir -p "$(dirname "$target")"
  local extract
  extract=$(mktemp -d "$(dirname "$target")/.extract.XXXXXX")
  dpkg-deb -x "$deb" "$extract"
  mv "$extract" "$target"
}
