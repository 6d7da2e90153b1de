package x12

// Plain-English meanings of the acknowledgment code lists, so a rejection
// can be shown to a person without a copy of the standard.

// AckStatusText explains AK901 (DE 715) and AK501 (DE 717) codes.
var AckStatusText = map[string]string{
	"A": "accepted",
	"E": "accepted, but errors were noted",
	"P": "partially accepted: at least one transaction set was rejected",
	"R": "rejected",
	"M": "rejected: message authentication code (MAC) failed",
	"W": "rejected: assurance failed validity tests",
	"X": "rejected: content after decryption could not be analyzed",
}

// GroupErrorText explains AK905–AK909 codes (DE 716).
var GroupErrorText = map[string]string{
	"1":  "functional group not supported",
	"2":  "functional group version not supported",
	"3":  "functional group trailer (GE) missing",
	"4":  "group control number in the GS and GE do not match",
	"5":  "number of included transaction sets does not match the actual count",
	"6":  "group control number violates syntax",
	"10": "authentication key name unknown",
	"11": "encryption key name unknown",
	"12": "requested service (authentication or encryption) not available",
	"13": "unknown security recipient",
	"14": "unknown security originator",
	"15": "syntax error in decrypted text",
	"16": "security not supported",
	"17": "incorrect message length (encryption only)",
	"18": "message authentication code failed",
	"19": "functional group control number not unique within interchange",
	"23": "S3E security end segment missing for S3S security start segment",
	"24": "S3E security end segment missing for S4S security start segment",
	"25": "S3E security end segment missing for S3S security start segment",
	"26": "S4E security end segment missing for S4S security start segment",
}

// SetErrorText explains AK502–AK506 codes (DE 718).
var SetErrorText = map[string]string{
	"1":  "transaction set not supported",
	"2":  "transaction set trailer (SE) missing",
	"3":  "transaction set control number in the ST and SE do not match",
	"4":  "number of included segments does not match the actual count",
	"5":  "one or more segments in error",
	"6":  "missing or invalid transaction set identifier",
	"7":  "missing or invalid transaction set control number",
	"8":  "authentication key name unknown",
	"9":  "encryption key name unknown",
	"10": "requested service (authentication or encryption) not available",
	"11": "unknown security recipient",
	"12": "incorrect message length (encryption only)",
	"13": "message authentication code failed",
	"15": "unknown security originator",
	"16": "syntax error in decrypted text",
	"17": "security not supported",
	"18": "transaction set not in functional group",
	"19": "invalid transaction set implementation convention reference",
	"23": "transaction set control number not unique within the functional group",
	"24": "S3E security end segment missing for S3S security start segment",
	"25": "S3E security end segment missing for S3S security start segment",
	"26": "S4E security end segment missing for S4S security start segment",
	"27": "S4E security end segment missing for S4S security start segment",
}

// SegmentErrorText explains AK304 codes (DE 720).
var SegmentErrorText = map[string]string{
	"1": "unrecognized segment ID",
	"2": "unexpected segment",
	"3": "mandatory segment missing",
	"4": "loop occurs over maximum times",
	"5": "segment exceeds maximum use",
	"6": "segment not in defined transaction set",
	"7": "segment not in proper sequence",
	"8": "segment has data element errors",
}

// ElementErrorText explains AK403 codes (DE 723).
var ElementErrorText = map[string]string{
	"1":  "mandatory data element missing",
	"2":  "conditional required data element missing",
	"3":  "too many data elements",
	"4":  "data element too short",
	"5":  "data element too long",
	"6":  "invalid character in data element",
	"7":  "invalid code value",
	"8":  "invalid date",
	"9":  "invalid time",
	"10": "exclusion condition violated",
	"12": "too many repetitions",
	"13": "too many components",
}

// InterchangeNoteText explains TA105 codes (DE I18) used for interchange problems.
var InterchangeNoteText = map[string]string{
	"000": "no error",
	"001": "the interchange control numbers in the header and trailer do not match",
	"017": "invalid interchange version ID",
	"018": "invalid interchange control number value",
	"019": "invalid acknowledgment requested value",
	"020": "invalid test indicator value",
	"021": "invalid number of included groups value",
	"022": "invalid control structure",
	"023": "improper (premature) end-of-file",
	"026": "invalid data element separator",
	"027": "invalid component element separator",
}

// ChargeCodeText names common SAC02 allowance/charge codes.
var ChargeCodeText = map[string]string{
	"A260": "advertising allowance",
	"B840": "buyer assigned",
	"C310": "discount",
	"D240": "freight",
	"D500": "handling",
	"F050": "other (see related description)",
	"G830": "shipping and handling",
	"H090": "special handling",
	"H850": "tax",
	"I170": "trade discount",
	"I530": "volume discount",
}
