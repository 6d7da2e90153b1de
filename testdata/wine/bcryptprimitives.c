/* Test-only stand-in for Windows 10's bcryptprimitives.dll, for Wine 8 (Debian 12),
   which lacks it: Go 1.22+ programs call ProcessPrng from it at start-up.
   Built by `make test-windows` into the throwaway Wine prefix only; never
   shipped. It forwards to RtlGenRandom (advapi32 SystemFunction036). */
#include <windows.h>
BOOLEAN WINAPI SystemFunction036(PVOID buf, ULONG len);
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
	while (len > 0) {
		ULONG n = len > 0x10000000 ? 0x10000000 : (ULONG)len;
		if (!SystemFunction036(data, n)) return FALSE;
		data += n; len -= n;
	}
	return TRUE;
}
