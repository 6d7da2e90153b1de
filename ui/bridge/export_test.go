package bridge

// ReasonLabel exposes reasonLabel to the external tests.
var ReasonLabel = reasonLabel
var Flatten = flatten
