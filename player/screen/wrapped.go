package screen

// Wrapped reports whether row's text runs on into the next row because it
// reached the last column (autowrap), rather than ending with a newline.
// Readers that want the text as it was printed, not as the screen's width
// folded it, join such rows.
func (s *Screen) Wrapped(row int) bool {
	if row < 0 || row >= s.rows || row >= len(s.wrapped) {
		return false
	}
	return s.wrapped[row]
}

// UnwrappedText is Text with rows that autowrapped joined to the next row:
// the lines as the program printed them.
func (s *Screen) UnwrappedText() string {
	var b []byte
	for row := 0; row < s.rows; row++ {
		b = append(b, s.Line(row)...)
		if row < s.rows-1 && !s.Wrapped(row) {
			b = append(b, '\n')
		}
	}
	return string(b)
}
