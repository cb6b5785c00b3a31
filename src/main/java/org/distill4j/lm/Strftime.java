package org.distill4j.lm;

import java.time.LocalDateTime;
import java.time.format.TextStyle;
import java.util.Locale;

/** C's strftime for {@code strftime_now(format)} in chat templates (Llama 3.2's "%d %b %Y"), in the C locale (English names). */
final class Strftime {
    private Strftime() {}

    static String format(LocalDateTime t, String format) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 == format.length()) {
                s.append(c);
                continue;
            }
            char f = format.charAt(++i);
            switch (f) {
                case 'd' -> s.append(String.format("%02d", t.getDayOfMonth()));
                case 'm' -> s.append(String.format("%02d", t.getMonthValue()));
                case 'Y' -> s.append(t.getYear());
                case 'y' -> s.append(String.format("%02d", t.getYear() % 100));
                case 'b' -> s.append(t.getMonth().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
                case 'B' -> s.append(t.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
                case 'a' -> s.append(t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
                case 'A' -> s.append(t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
                case 'H' -> s.append(String.format("%02d", t.getHour()));
                case 'M' -> s.append(String.format("%02d", t.getMinute()));
                case 'S' -> s.append(String.format("%02d", t.getSecond()));
                case 'j' -> s.append(String.format("%03d", t.getDayOfYear()));
                case '%' -> s.append('%');
                default -> throw new JinjaChatTemplate.TemplateException("strftime_now: format code %" + f + " is not supported", false);
            }
        }
        return s.toString();
    }
}
